"""Load profile.proto into a private protobuf descriptor pool and hand out message classes.

The .proto file beside this module is the single source of truth. It is read with a small
parser for the subset of proto3 it uses (messages of scalar, repeated and message fields), so
no protoc step is needed and nothing is registered in protobuf's default descriptor pool,
where another installed package may already hold a `profile.proto`.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

_FILE_NAME = "leakkit/pprof/profile.proto"

_SCALARS = {
    "int64": descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
    "uint64": descriptor_pb2.FieldDescriptorProto.TYPE_UINT64,
    "bool": descriptor_pb2.FieldDescriptorProto.TYPE_BOOL,
    "string": descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
}
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*|\d+|[{}=;]|\"[^\"]*\"")
_COMMENT = re.compile(r"//[^\n]*")


def proto_source() -> str:
    """The text of profile.proto as shipped with the package."""
    return resources.files("kit.pprof").joinpath("profile.proto").read_text(encoding="utf-8")


def parse_proto(text: str) -> descriptor_pb2.FileDescriptorProto:
    """Turn the proto3 subset used by profile.proto into a FileDescriptorProto."""
    tokens = _TOKEN.findall(_COMMENT.sub("", text))
    fdp = descriptor_pb2.FileDescriptorProto(name=_FILE_NAME, syntax="proto3")
    pos = 0

    def take(expected: str | None = None) -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError("profile.proto ends early")
        tok: str = tokens[pos]
        pos += 1
        if expected is not None and tok != expected:
            raise ValueError(f"profile.proto: expected {expected!r}, found {tok!r}")
        return tok

    while pos < len(tokens):
        keyword = take()
        if keyword == "syntax":
            take("=")
            take()
            take(";")
        elif keyword == "package":
            fdp.package = take()
            take(";")
        elif keyword == "message":
            msg = fdp.message_type.add(name=take())
            take("{")
            while (tok := take()) != "}":
                label = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
                if tok == "repeated":
                    label = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
                    tok = take()
                field = msg.field.add(name=take(), label=label)
                take("=")
                field.number = int(take())
                take(";")
                field.json_name = _json_name(field.name)
                if tok in _SCALARS:
                    field.type = _SCALARS[tok]
                else:
                    field.type = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
                    field.type_name = f".{fdp.package}.{tok}"
        else:
            raise ValueError(f"profile.proto: unexpected {keyword!r}")
    return fdp


def _json_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


@cache
def message_class(name: str) -> Any:
    """The generated message class for `name` (e.g. "Profile"), from the private pool."""
    pool = _pool()
    descriptor = pool.FindMessageTypeByName(f"perftools.profiles.{name}")
    return message_factory.GetMessageClass(descriptor)


@cache
def _pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    pool.Add(parse_proto(proto_source()))
    return pool


def new_profile_message() -> Message:
    """An empty Profile message, for decoding into or building test profiles."""
    msg: Message = message_class("Profile")()
    return msg
