#!/usr/bin/env python3
"""Checks a gkctl audit proof file the way an outside auditor would, written
from the format documented in proto/gatekeeper/v1/audit_service.proto and
daemon/audit/chain.h only (no gatekeeper code): the entry's chain hash, its
RFC 9162 inclusion path to the checkpoint's root, the checkpoint's Ed25519
signature (with the openssl command), and, for a proof made with --since,
the older checkpoint's signature and the RFC 9162 consistency path from its
root to the newer one's. Prints "OK" and exits 0, or prints what failed and
exits 1.

    verify_proof.py PROOF.json PUBLIC_KEY.pem
"""
import datetime
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile


def sha256(b):
    return hashlib.sha256(b).digest()


def micros(rfc3339):
    # "2026-12-01T07:43:50.280034Z", fractions of up to 9 digits.
    date, _, frac = rfc3339.rstrip("Z").partition(".")
    dt = datetime.datetime.strptime(date, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    seconds = int(dt.timestamp())
    return seconds * 1_000_000 + int((frac + "000000000")[:9]) // 1000


def entry_hash(e):
    def field(s):
        b = s.encode()
        return struct.pack(">I", len(b)) + b
    canonical = (b"GKA1" + struct.pack(">Q", int(e["seq"])) +
                 struct.pack(">q", micros(e["at"])) +
                 field(e.get("kind", "")) + field(e.get("actor", "")) +
                 field(e.get("customer_id", "")) +
                 field(e.get("payload_json", "")))
    return sha256(bytes.fromhex(e["prev_hash"]) + canonical)


def root_from_path(index, size, leaf, path):
    # RFC 9162 2.1.3.2.
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def consistent(first, second, first_root, second_root, path):
    # RFC 9162 2.1.4.2.
    if first == 0 or first > second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first & (first - 1) == 0:
        path = [first_root] + path
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = sha256(b"\x01" + c + fr)
            sr = sha256(b"\x01" + c + sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = sha256(b"\x01" + sr + c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def signature_error(cp, pem):
    """None if the checkpoint's signature verifies with the key, else why."""
    text = "gatekeeper-audit-checkpoint/v1\nkey %s\nsize %s\nroot %s\nat %d\n" % (
        cp["key_id"], cp["size"], cp["root_hash"], micros(cp["at"]))
    with tempfile.TemporaryDirectory() as d:
        paths = {n: os.path.join(d, n) for n in ("pub", "msg", "sig")}
        open(paths["pub"], "w").write(pem)
        open(paths["msg"], "wb").write(text.encode())
        open(paths["sig"], "wb").write(bytes.fromhex(cp["signature"]))
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                            paths["pub"], "-rawin", "-in", paths["msg"],
                            "-sigfile", paths["sig"]],
                           capture_output=True, text=True)
    return None if r.returncode == 0 else r.stdout + r.stderr


def main():
    proof = json.load(open(sys.argv[1]))
    pem = open(sys.argv[2]).read()
    e, cp = proof["entry"], proof["checkpoint"]
    h = entry_hash(e)
    if h.hex() != e["hash"]:
        print("entry hash does not match its fields")
        return 1
    path = [bytes.fromhex(p) for p in proof.get("inclusion_path", [])]
    root = root_from_path(int(proof.get("leaf_index", 0)), int(cp["size"]),
                          sha256(b"\x00" + h), path)
    if root is None or root.hex() != cp["root_hash"]:
        print("inclusion path does not lead to the checkpoint's root")
        return 1
    error = signature_error(cp, pem)
    if error is not None:
        print("checkpoint signature does not verify: " + error)
        return 1
    cpath = [bytes.fromhex(p) for p in proof.get("consistency_path", [])]
    old = proof.get("older_checkpoint")
    if old is None:
        if cpath:
            print("consistency_path without an older_checkpoint")
            return 1
    else:
        error = signature_error(old, pem)
        if error is not None:
            print("older checkpoint signature does not verify: " + error)
            return 1
        if not consistent(int(old["size"]), int(cp["size"]),
                          bytes.fromhex(old["root_hash"]),
                          bytes.fromhex(cp["root_hash"]), cpath):
            print("the checkpoint's log does not extend the older checkpoint's")
            return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
