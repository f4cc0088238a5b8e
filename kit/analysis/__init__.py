"""Analysis of recordings: growth per unit of work, and the functions behind it."""
