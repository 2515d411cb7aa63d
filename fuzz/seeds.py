#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets: fuzz/corpus/<target>/seed-*.

Usage: seeds.py VECTORS_DIR CORPUS_DIR

Everything comes from the public vectors (read here, at run time; never copied into the
repository), from the claims fixtures of ca/identity/tests/data, or is made here: keys,
CSRs and proofs of possession by the `openssl` command line (skipped, with a warning,
where it is missing), and syntactically valid ID tokens. Each seed is written in the
input format its target documents (most take the raw bytes; `ca_request` and `tiles` use
the framing of fuzz/src/frame.rs, rebuilt by `frame()` below).

Only the Python standard library is used (json, base64, hashlib for SHA-256 leaf hashes).
"""

import base64
import glob
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

# The fuzz targets' fixed clock (fuzz/src/fixtures.rs `now()`): tokens are valid then.
NOW = 2_000_000_000
# fuzz/src/fixtures.rs LOOPBACK_ISSUER and POP_CHALLENGE.
LOOPBACK = "http://127.0.0.1:9"
CHALLENGE = b"fuzz@example.com"

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

B64 = base64.standard_b64encode


def b64d(text):
    return base64.standard_b64decode(text)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jdump(value):
    return json.dumps(value, separators=(",", ":")).encode()


def frame(*sections):
    """fuzz/src/frame.rs `sections`: each section is a u32 BE length, then the bytes."""
    return b"".join(struct.pack(">I", len(s)) + s for s in sections)


def pem(label, der):
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)).encode()


def pem_blocks(data, label):
    """The DER of every PEM block with this label in `data`."""
    pattern = rb"-----BEGIN " + label + rb"-----(.*?)-----END " + label + rb"-----"
    return [base64.decodebytes(m) for m in re.findall(pattern, data, re.S)]


class Seeds:
    def __init__(self, vectors, corpus):
        self.vectors = vectors
        self.corpus = corpus
        self.counts = {}

    def path(self, rel):
        return os.path.join(self.vectors, rel)

    def read(self, rel):
        with open(self.path(rel), "rb") as f:
            return f.read()

    def glob(self, pattern):
        return sorted(glob.glob(os.path.join(self.vectors, pattern), recursive=True))

    def add(self, target, name, data):
        if isinstance(data, str):
            data = data.encode()
        folder = os.path.join(self.corpus, target)
        os.makedirs(folder, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100]
        with open(os.path.join(folder, "seed-" + name), "wb") as f:
            f.write(data)
        self.counts[target] = self.counts.get(target, 0) + 1


def bundle_files(s):
    out = []
    for f in s.glob("**/*"):
        if not os.path.isfile(f):
            continue
        base = os.path.basename(f)
        if base.endswith((".sigstore", ".sigstore.json", ".bundle")) or base.startswith("bundle-"):
            out.append(f)
    return out


def load_bundles(s):
    """(name, raw bytes, parsed JSON or None) of every bundle of the vectors."""
    out = []
    for f in bundle_files(s):
        with open(f, "rb") as fh:
            raw = fh.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        out.append((os.path.relpath(f, s.vectors), raw, parsed))
    return out


def tlog_entries(bundles):
    for name, _, b in bundles:
        if not isinstance(b, dict):
            continue
        for e in (b.get("verificationMaterial") or {}).get("tlogEntries") or []:
            yield name, b, e


def bundle_certs(b):
    vm = b.get("verificationMaterial") or {}
    if "certificate" in vm:
        return [b64d(vm["certificate"]["rawBytes"])]
    chain = (vm.get("x509CertificateChain") or {}).get("certificates") or []
    return [b64d(c["rawBytes"]) for c in chain]


def bundle_signature(b):
    if "messageSignature" in b:
        return b64d(b["messageSignature"]["signature"])
    return b64d(b["dsseEnvelope"]["signatures"][0]["sig"])


# --- bundles, trusted roots ---------------------------------------------------------


def seed_bundles(s, bundles):
    for name, raw, _ in bundles:
        s.add("bundle_parse", name, raw)
        s.add("bundle_verify", name, raw)


def seed_trusted_roots(s):
    files = (
        s.glob("trust/*.json")
        + s.glob("sigstore-python/trusted_root/*.json")
        + s.glob("sigstore-python/trust_config/*.json")
        + s.glob("sigstore-python/signing_config/*.json")
        + s.glob("sigstore-python/tsa/*.json")
        + s.glob("sigstore-python/staging-tuf/targets/*.json")
        + s.glob("sigstore-go/**/trusted-roots/*.json")
        + s.glob("sigstore-go/examples/*.json")
    )
    for f in files:
        if os.path.basename(f).startswith("bundle-"):
            continue
        with open(f, "rb") as fh:
            raw = fh.read()
        s.add("trusted_root", os.path.relpath(f, s.vectors), raw)
        s.add("signing_config", os.path.relpath(f, s.vectors), raw)
    # A ClientTrustConfig of the public-good production root and its signing config.
    config = {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": json.loads(s.read("trust/production-trusted_root.json")),
        "signingConfig": json.loads(s.read("trust/production-signing_config.v0.2.json")),
    }
    s.add("trusted_root", "made-production-trust-config", jdump(config))
    s.add("signing_config", "made-production-trust-config", jdump(config))


# --- Rekor ----------------------------------------------------------------------------


def signed_files(s):
    """(artefact, base64 signature, certificate PEM) triples of sigstore-python."""
    out = []
    for sig in s.glob("sigstore-python/**/*.sig"):
        stem = sig[: -len(".sig")]
        crt = stem + ".crt"
        if os.path.exists(stem) and os.path.exists(crt):
            with open(stem, "rb") as a, open(sig, "rb") as g, open(crt, "rb") as c:
                out.append((os.path.relpath(stem, s.vectors), a.read(), g.read().strip(), c.read()))
    return out


def hashedrekord(digest_hex, sig_b64, key_pem, algorithm="sha256"):
    return {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": algorithm, "value": digest_hex}},
            "signature": {"content": sig_b64, "publicKey": {"content": B64(key_pem).decode()}},
        },
    }


def dsse_proposal(envelope, cert_pems):
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "proposedContent": {
                "envelope": json.dumps(envelope),
                "verifiers": [B64(p).decode() for p in cert_pems],
            }
        },
    }


def seed_rekor(s, bundles):
    proposals = []
    for name, artefact, sig, crt in signed_files(s):
        p = hashedrekord(hashlib.sha256(artefact).hexdigest(), sig.decode(), crt)
        proposals.append(("hashedrekord-" + name, p))
    for name, b, e in tlog_entries(bundles):
        body = b64d(e["canonicalizedBody"])
        s.add("rekor_entry", "body-" + name, body)
    for name, _, b in bundles:
        if isinstance(b, dict) and "dsseEnvelope" in b and bundle_certs(b):
            env = b["dsseEnvelope"]
            envelope = {
                "payload": env["payload"],
                "payloadType": env["payloadType"],
                "signatures": [{"keyid": g.get("keyid", ""), "sig": g["sig"]} for g in env["signatures"]],
            }
            proposals.append(("dsse-" + name, dsse_proposal(envelope, [pem("CERTIFICATE", bundle_certs(b)[0])])))
    for name, p in proposals:
        s.add("rekor_entry", name, jdump(p))
    # Search bodies.
    s.add("rekor_search", "retrieve-entries", jdump({"entries": [p for _, p in proposals[:3]]}))
    uuids, indexes = [], []
    for _, _, e in tlog_entries(bundles):
        uuids.append(hashlib.sha256(b"\x00" + b64d(e["canonicalizedBody"])).hexdigest())
        indexes.append(int(e["logIndex"]))
    s.add("rekor_search", "retrieve-ids", jdump({"entryUUIDs": uuids[:4], "logIndexes": indexes[:4]}))
    s.add("rekor_search", "retrieve-treeid-uuid", jdump({"entryUUIDs": ["24296fb24b8ad77a" + uuids[0]]}))
    # The path form of GET /api/v1/log/entries/{uuid}: bare text.
    s.add("rekor_search", "path-uuid", uuids[0])
    s.add("rekor_search", "path-entry-id", "24296fb24b8ad77a" + uuids[0])
    for name, artefact, _, crt in signed_files(s)[:3]:
        s.add("rekor_search", "index-key-" + name,
              jdump({"publicKey": {"format": "x509", "content": B64(crt).decode()}}))
        s.add("rekor_search", "index-hash-" + name,
              jdump({"hash": "sha256:" + hashlib.sha256(artefact).hexdigest(), "operator": "or",
                     "email": "Alice@Example.com"}))
    key = s.read("sigstore-go/pkg/testing/data/public-keys/public-key-validity.pem")
    s.add("rekor_search", "index-public-key", jdump({"publicKey": {"format": "x509", "content": B64(key).decode()}}))
    s.add("rekor_search", "index-subject",
          jdump({"subject": "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
                 "operator": "and"}))
    # Log answers: each Rekor v1 entry of the bundles as the log would have served it.
    for name, b, e in tlog_entries(bundles):
        proof = e.get("inclusionProof")
        promise = e.get("inclusionPromise")
        if not proof or not promise or "checkpoint" not in proof or e.get("integratedTime") in (None, "0"):
            continue
        body = b64d(e["canonicalizedBody"])
        uuid = hashlib.sha256(b"\x00" + body).hexdigest()
        anon = {
            "body": e["canonicalizedBody"],
            "integratedTime": int(e["integratedTime"]),
            "logID": b64d(e["logId"]["keyId"]).hex(),
            "logIndex": int(e["logIndex"]),
            "verification": {
                "inclusionProof": {
                    "checkpoint": proof["checkpoint"]["envelope"],
                    "hashes": [b64d(h).hex() for h in proof.get("hashes", [])],
                    "logIndex": int(proof["logIndex"]),
                    "rootHash": b64d(proof["rootHash"]).hex(),
                    "treeSize": int(proof["treeSize"]),
                },
                "signedEntryTimestamp": promise["signedEntryTimestamp"],
            },
        }
        s.add("rekor_response", name, jdump({uuid: anon}))


# --- checkpoints, tiles ---------------------------------------------------------------


def seed_checkpoints(s, bundles):
    for name, _, e in tlog_entries(bundles):
        cp = ((e.get("inclusionProof") or {}).get("checkpoint") or {}).get("envelope")
        if cp:
            s.add("checkpoint", name, cp)
            s.add("checkpoint", "body-" + name, cp.split("\n\n")[0] + "\n")
    for f in s.glob("c2sp/*.md"):
        with open(f) as fh:
            text = fh.read()
        for i, block in enumerate(re.findall(r"```[a-z]*\n(.*?)```", text, re.S)):
            if "\n\n\u2014 " in block or "\n\u2014 " in block:
                s.add("checkpoint", "%s-%d" % (os.path.basename(f), i), block)


def seed_tiles(s, bundles):
    paths = ["0/000", "0/x001/234", "1/x001/x234/067.p/8", "entries/x001/234.p/17",
             "entries/000", "63/x018/x446/x744/x073/x709/x551/615", "2/000.p/255"]
    for f in s.glob("c2sp/tlog-tiles.md"):
        with open(f) as fh:
            paths += re.findall(r"tile/((?:entries|\d+)/(?:x\d{3}/)*\d{3}(?:\.p/\d+)?)", fh.read())
    header = struct.pack(">HI", 0, 0)
    for i, p in enumerate(sorted(set(paths))):
        s.add("tiles", "path-%d" % i, header + frame(b"", b"", b"") + p.encode())

    entries = []
    for name, b, e in tlog_entries(bundles):
        if e.get("integratedTime") in (None, "0") or "inclusionPromise" not in e:
            continue
        entries.append((name, b, e))

    def bundle_seed(items, first_index, path):
        bodies = [b64d(e["canonicalizedBody"]) if e else b"{}" for _, _, e in items]
        entry_bundle = b"".join(struct.pack(">H", len(x)) + x for x in bodies)
        hash_tile = b"".join(hashlib.sha256(b"\x00" + x).digest() for x in bodies)
        metas = []
        for i, (_, b, e) in enumerate(items):
            m = {"logIndex": first_index + i, "integratedTime": NOW - 86400}
            if not e:
                metas.append(m)
                continue
            m["integratedTime"] = int(e["integratedTime"])
            if first_index + i == int(e["logIndex"]):
                m["signedEntryTimestamp"] = e["inclusionPromise"]["signedEntryTimestamp"]
            env = b.get("dsseEnvelope")
            if env is not None:
                m["extra"] = B64(jdump(env)).decode()
            metas.append(m)
        head = struct.pack(">HI", len(items), first_index // 256)
        return head + frame(entry_bundle, hash_tile, jdump({"entries": metas})) + path.encode()

    if entries:
        s.add("tiles", "bundle-all", bundle_seed(entries, 0, "entries/000.p/%d" % len(entries)))
    # Each real entry at its own index, after small filler entries, so that its SET
    # verifies.
    for name, b, e in entries:
        index = int(e["logIndex"])
        offset = index % 256
        filler = [("filler", {}, None)] * offset
        seed = bundle_seed(filler + [(name, b, e)], index - offset, "0/000")
        s.add("tiles", "entry-" + name, seed)


# --- tokens, claims -------------------------------------------------------------------


def fixture_claims():
    out = {}
    for f in sorted(glob.glob(os.path.join(REPO, "ca/identity/tests/data/*.json"))):
        with open(f) as fh:
            out[os.path.basename(f)] = json.load(fh)
    return out


def token(header, claims, signature=b"\x01" * 64):
    return "%s.%s.%s" % (b64url(jdump(header)), b64url(jdump(claims)), b64url(signature))


def timed(claims):
    c = dict(claims)
    c.update({"aud": c.get("aud", "sigstore"), "iat": NOW - 60, "nbf": NOW - 60, "exp": NOW + 600})
    return c


def loopback_tokens():
    fixtures = fixture_claims()
    claims = {
        "email": {"iss": LOOPBACK + "/email", "sub": "1093784920174", "email": CHALLENGE.decode(),
                  "email_verified": True},
        "spiffe": {"iss": LOOPBACK + "/spiffe", "sub": "spiffe://example.org/ns/prod/sa/signer"},
    }
    for name, fixture, iss in [("github", "github-actions.json", "/github"),
                               ("gitlab", "gitlab-ci.json", "/gitlab"),
                               ("k8s", "kubernetes-eks.json", "/k8s")]:
        if fixture in fixtures:
            c = dict(fixtures[fixture])
            c["iss"] = LOOPBACK + iss
            c["aud"] = "sigstore"
            claims[name] = c
    out = {}
    for name, c in claims.items():
        out[name] = token({"alg": "ES256", "kid": "fuzz-key", "typ": "JWT"}, timed(c))
    email = timed(claims["email"])
    for alg in ["RS256", "PS384", "EdDSA", "ES384", "HS256", "none"]:
        out["email-" + alg] = token({"alg": alg, "kid": "k"}, email, b"" if alg == "none" else b"\x02" * 64)
    out["email-expired"] = token({"alg": "ES256"}, dict(email, exp=NOW - 3600))
    out["email-aud-list"] = token({"alg": "ES256"}, dict(email, aud=["other", "sigstore"]))
    return out


def seed_tokens(s):
    for name, t in loopback_tokens().items():
        s.add("jwt", name, t)
    fixtures = fixture_claims()
    for name, c in fixtures.items():
        s.add("identity_claims", name, jdump(c))
    made = {
        "email": {"iss": "https://accounts.example.com", "sub": "1093784920174", "email": "alice@example.com",
                  "email_verified": True},
        "email-unverified": {"iss": "https://accounts.example.net", "sub": "7", "email": "bob@example.net",
                             "email_verified": "false"},
        "spiffe": {"iss": "https://spire.example.org", "sub": "spiffe://example.org/ns/prod/sa/signer"},
        "uri": {"iss": "https://accounts.example.com/users", "sub": "https://users.example.com/alice"},
        "username": {"iss": "https://accounts.example.com/logins", "sub": "alice"},
    }
    for name, c in made.items():
        s.add("identity_claims", "made-" + name, jdump(timed(c)))


# --- keys, CSRs, certificates ---------------------------------------------------------


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def made_keys(workdir):
    """(name, CSR PEM, public key PEM, public key DER, PoP signature) per key type."""
    if shutil.which("openssl") is None:
        print("seeds.py: openssl not found; no made CSR/PoP seeds", file=sys.stderr)
        return []
    kinds = [("p256", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
             ("p384", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]),
             ("rsa2048", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
             ("ed25519", ["-algorithm", "ED25519"])]
    challenge = os.path.join(workdir, "challenge")
    with open(challenge, "wb") as f:
        f.write(CHALLENGE)
    out = []
    for name, gen in kinds:
        key = os.path.join(workdir, name + ".key")
        try:
            openssl("genpkey", *gen, "-out", key)
            csr = openssl("req", "-new", "-key", key, "-subj", "/CN=fuzz")
            pub_pem = openssl("pkey", "-in", key, "-pubout")
            pub_der = openssl("pkey", "-in", key, "-pubout", "-outform", "DER")
            if name == "ed25519":
                sig = openssl("pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", challenge)
            else:
                sig = openssl("dgst", "-sha256", "-sign", key, challenge)
        except (subprocess.CalledProcessError, OSError) as e:
            print("seeds.py: openssl failed for %s: %s" % (name, e), file=sys.stderr)
            continue
        out.append((name, csr, pub_pem, pub_der, sig))
    return out


def seed_requests(s, keys):
    tokens = loopback_tokens()
    for name, csr, pub_pem, pub_der, sig in keys:
        csr_der = pem_blocks(csr, b"CERTIFICATE REQUEST")[0]
        for form, blob in [("csr-pem", csr), ("csr-der", csr_der), ("key-pem", pub_pem), ("key-der", pub_der)]:
            s.add("ca_request", "%s-%s" % (name, form), struct.pack(">H", len(sig)) + sig + blob)
        s.add("fulcio_signing_cert", name + "-csr", jdump({"certificateSigningRequest": B64(csr).decode()}))
        s.add("fulcio_signing_cert", name + "-csr-token", jdump({
            "credentials": {"oidcIdentityToken": tokens["email"]},
            "certificateSigningRequest": B64(csr).decode()}))
        s.add("fulcio_signing_cert", name + "-pop", jdump({
            "credentials": {"oidcIdentityToken": tokens["email"]},
            "publicKeyRequest": {"publicKey": {"algorithm": "ECDSA", "content": pub_pem.decode()},
                                 "proofOfPossession": B64(sig).decode()}}))
    s.add("fulcio_signing_cert", "token-only", jdump({"credentials": {"oidcIdentityToken": tokens["github"]}}))


def vector_certificates(s, bundles):
    """(name, DER) of every certificate in the vectors."""
    out = []
    for f in s.glob("**/*"):
        if os.path.isfile(f) and f.endswith((".crt", ".pem")):
            with open(f, "rb") as fh:
                for i, der in enumerate(pem_blocks(fh.read(), b"CERTIFICATE")):
                    out.append(("%s-%d" % (os.path.relpath(f, s.vectors), i), der))
    for name, _, b in bundles:
        if isinstance(b, dict):
            for i, der in enumerate(bundle_certs(b)):
                out.append(("%s-%d" % (name, i), der))
    for rel in ["trust/production-trusted_root.json", "trust/staging-trusted_root.json",
                "sigstore-python/tsa/trust_config.json"]:
        root = json.loads(s.read(rel))
        root = root.get("trustedRoot", root)
        for ca in root.get("certificateAuthorities", []) + root.get("timestampAuthorities", []):
            for i, c in enumerate(ca.get("certChain", {}).get("certificates", [])):
                out.append(("%s-%s-%d" % (rel, ca.get("uri", ""), i), b64d(c["rawBytes"])))
    seen, unique = set(), []
    for name, der in out:
        if der not in seen:
            seen.add(der)
            unique.append((name, der))
    return unique


def seed_certificates(s, bundles, keys):
    for name, der in vector_certificates(s, bundles):
        s.add("certificate", name + ".der", der)
        s.add("certificate", name + ".pem", pem("CERTIFICATE", der))
    for name, _, b in bundles:
        if isinstance(b, dict) and len(bundle_certs(b)) > 1:
            chain = b"".join(pem("CERTIFICATE", d) for d in bundle_certs(b))
            s.add("certificate", name + "-chain.pem", chain)
    for name, _, pub_pem, pub_der, _ in keys:
        s.add("certificate", name + "-key.pem", pub_pem)
        s.add("certificate", name + "-key.der", pub_der)
    for f in s.glob("sigstore-python/staging-tuf/targets/*.pub"):
        with open(f, "rb") as fh:
            s.add("certificate", os.path.relpath(f, s.vectors), fh.read())


def seed_timestamps(s, bundles):
    for name, _, b in bundles:
        if not isinstance(b, dict):
            continue
        tsv = (b.get("verificationMaterial") or {}).get("timestampVerificationData") or {}
        for i, t in enumerate(tsv.get("rfc3161Timestamps") or []):
            s.add("tsa", "%s-%d" % (name, i), b64d(t["signedTimestamp"]))
    s.add("tsa", "issue1482-timestamp-with-no-cert", s.read("sigstore-python/tsa/issue1482-timestamp-with-no-cert"))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    vectors, corpus = sys.argv[1], sys.argv[2]
    if not os.path.isdir(vectors):
        sys.exit("seeds.py: vectors folder %s not found (set SIGNET_VECTORS)" % vectors)
    s = Seeds(vectors, corpus)
    bundles = load_bundles(s)
    seed_bundles(s, bundles)
    seed_trusted_roots(s)
    seed_rekor(s, bundles)
    seed_checkpoints(s, bundles)
    seed_tiles(s, bundles)
    seed_tokens(s)
    with tempfile.TemporaryDirectory() as workdir:
        keys = made_keys(workdir)
    seed_requests(s, keys)
    seed_certificates(s, bundles, keys)
    seed_timestamps(s, bundles)
    for target in sorted(s.counts):
        print("seeds: %-20s %4d" % (target, s.counts[target]))


if __name__ == "__main__":
    main()
