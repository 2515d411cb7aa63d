// Drives sigstore-js, the JavaScript Sigstore client (npm packages pinned in
// package.json), for the interoperability test `cli/tests/sigstore_js.rs`.
//
// Subcommands (exit 0 only on success; 1 when signing or verification fails; 2 on a
// usage error):
//
//   sign FILE --fulcio-url URL --rekor-url URL --identity-token JWT --bundle OUT
//       `sigstore.sign` (Fulcio `POST /api/v2/signingCert`, Rekor v1 hashedrekord entry)
//       over FILE's bytes; writes the bundle JSON to OUT.
//   attest SUBJECT --predicate-type URI --predicate P.json --fulcio-url URL
//          --rekor-url URL --identity-token JWT --bundle OUT
//       Builds an in-toto Statement v1 naming SUBJECT (sha256 of its bytes) with the
//       predicate, and signs it with `sigstore.attest` (DSSE, Rekor v1 dsse entry).
//   verify FILE --bundle B --trusted-root trusted_root.json
//          --certificate-identity SAN --certificate-oidc-issuer ISSUER
//       Offline verification with `@sigstore/verify` against the given trusted root:
//       tlog entry, timestamps, certificate chain, SCT, signature and an exact SAN and
//       issuer match. For a DSSE bundle carrying an in-toto statement, FILE's sha256 must
//       also be among the statement's subjects (sigstore-js leaves that to the caller).
//
// Nothing here talks to the network except the URLs given on the command line; the
// trusted root comes from the file given, never from TUF.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { attest, sign } from 'sigstore';

const USAGE = `usage:
  driver.mjs sign FILE --fulcio-url URL --rekor-url URL --identity-token JWT --bundle OUT
  driver.mjs attest SUBJECT --predicate-type URI --predicate FILE --fulcio-url URL --rekor-url URL --identity-token JWT --bundle OUT
  driver.mjs verify FILE --bundle B --trusted-root FILE --certificate-identity SAN --certificate-oidc-issuer ISSUER`;

class UsageError extends Error {}

// Signet's debug build can be slow to answer on a loaded machine.
const TIMEOUT_MS = 60_000;

function parse(argv, names) {
  const options = Object.fromEntries(names.map((n) => [n, { type: 'string' }]));
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    throw new UsageError(`exactly one FILE expected, got ${positionals.length}`);
  }
  for (const n of names) {
    if (values[n] === undefined) {
      throw new UsageError(`--${n} is required`);
    }
  }
  return { file: positionals[0], ...values };
}

function signOptions(a) {
  return {
    fulcioURL: a['fulcio-url'],
    rekorURL: a['rekor-url'],
    identityToken: a['identity-token'],
    tlogUpload: true,
    timeout: TIMEOUT_MS,
  };
}

const SIGN_FLAGS = ['fulcio-url', 'rekor-url', 'identity-token', 'bundle'];

async function cmdSign(argv) {
  const a = parse(argv, SIGN_FLAGS);
  const bundle = await sign(readFileSync(a.file), signOptions(a));
  writeFileSync(a.bundle, JSON.stringify(bundle));
}

async function cmdAttest(argv) {
  const a = parse(argv, [...SIGN_FLAGS, 'predicate-type', 'predicate']);
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [
      {
        name: basename(a.file),
        digest: { sha256: createHash('sha256').update(readFileSync(a.file)).digest('hex') },
      },
    ],
    predicateType: a['predicate-type'],
    predicate: JSON.parse(readFileSync(a.predicate, 'utf8')),
  };
  const bundle = await attest(
    Buffer.from(JSON.stringify(statement)),
    'application/vnd.in-toto+json',
    signOptions(a),
  );
  writeFileSync(a.bundle, JSON.stringify(bundle));
}

// The policy's SAN is a regular expression in @sigstore/verify (policy.js): anchor and
// escape it so that only the exact identity matches.
function exactly(text) {
  return `^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

async function cmdVerify(argv) {
  const a = parse(argv, [
    'bundle',
    'trusted-root',
    'certificate-identity',
    'certificate-oidc-issuer',
  ]);
  const artifact = readFileSync(a.file);
  const bundle = bundleFromJSON(JSON.parse(readFileSync(a.bundle, 'utf8')));
  const trustedRoot = TrustedRoot.fromJSON(JSON.parse(readFileSync(a['trusted-root'], 'utf8')));
  const verifier = new Verifier(toTrustMaterial(trustedRoot), {
    tlogThreshold: 1,
    ctlogThreshold: 1,
    timestampThreshold: 1,
  });
  const signer = verifier.verify(toSignedEntity(bundle, artifact), {
    subjectAlternativeName: exactly(a['certificate-identity']),
    extensions: { issuer: a['certificate-oidc-issuer'] },
  });
  const content = bundle.content;
  if (content.$case === 'dsseEnvelope') {
    const envelope = content.dsseEnvelope;
    if (envelope.payloadType !== 'application/vnd.in-toto+json') {
      throw new Error(`DSSE payload type ${envelope.payloadType} is not in-toto`);
    }
    const statement = JSON.parse(envelope.payload.toString('utf8'));
    const digest = createHash('sha256').update(artifact).digest('hex');
    const subjects = Array.isArray(statement.subject) ? statement.subject : [];
    if (!subjects.some((s) => s?.digest?.sha256 === digest)) {
      throw new Error(`no subject of the in-toto statement has sha256 ${digest}`);
    }
  }
  process.stdout.write(
    `OK: ${signer.identity?.subjectAlternativeName} ${signer.identity?.extensions?.issuer}\n`,
  );
}

const COMMANDS = { sign: cmdSign, attest: cmdAttest, verify: cmdVerify };

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const run = COMMANDS[command];
  if (!run) {
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
  await run(rest);
}

main().catch((e) => {
  if (e instanceof UsageError) {
    process.stderr.write(`driver.mjs: ${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  // sigstore-js errors carry a code (e.g. TLOG_INCLUSION_PROOF_ERROR) and a cause.
  const code = e.code ? ` [${e.code}]` : '';
  const cause = e.cause ? `\ncaused by: ${e.cause.message ?? e.cause}` : '';
  process.stderr.write(`driver.mjs: ${e.name}${code}: ${e.message}${cause}\n`);
  process.exit(1);
});
