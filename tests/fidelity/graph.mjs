// Microsoft's Graph JavaScript client against `doorman sim --tls`, with the tokens MSAL got
// (microsoft.py): paging with the SDK's PageIterator, member and owner writes allowed and
// refused by Graph's rules, the last owner kept, and throttling honoured by the SDK's
// RetryHandler. Node trusts the simulator's certificate through NODE_EXTRA_CA_CERTS.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Client, PageIterator } from "@microsoft/microsoft-graph-client";

import { Rows } from "./rows.mjs";

const input = JSON.parse(readFileSync(process.env.FIDELITY_INPUT, "utf8"));
const sim = input.sim_url;
const tokens = input.tokens;
const version = createRequire(import.meta.url)("@microsoft/microsoft-graph-client/package.json").version;
const rows = new Rows(`msgraph-sdk-javascript ${version}`);

function graph(token) {
  return Client.init({
    authProvider: (done) => done(null, token),
    baseUrl: `${sim}/`,
    defaultVersion: "v1.0",
    // The SDK sends a token only to Graph's own hosts or hosts named here.
    customHosts: new Set([new URL(sim).hostname]),
  });
}

async function control(method, path, body) {
  const answer = await fetch(`${sim}/_sim/${path}`, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return answer.json();
}

/** The error a call must fail with: its HTTP status and Graph's error code. */
async function refused(call, status, code) {
  try {
    await call();
  } catch (error) {
    if (error.statusCode === status && error.code === code && error.requestId) {
      return `${status} ${code}, request-id ${error.requestId.slice(0, 8)}…`;
    }
    throw new Error(`got ${error.statusCode} ${error.code}: ${error.message}`);
  }
  throw new Error(`was accepted; Graph answers ${status} ${code}`);
}

const app = graph(tokens.app);
const ownerMembers = graph(tokens.owner_member_scope);
const ownerOwners = graph(tokens.owner_owner_scope);
const notOwner = graph(tokens.not_owner);

async function groupId(name) {
  const found = await app.api("/groups").filter(`displayName eq '${name}'`).select("id").get();
  return found.value[0].id;
}
async function userId(upn) {
  return (await app.api(`/users/${upn}`).select("id").get()).id;
}
const reference = (id) => ({ "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });

await rows.check("PageIterator over /users, 3 a page", async () => {
  const first = await app.api("/users").top(3).get();
  const seen = [];
  const iterator = new PageIterator(app, first, (user) => {
    seen.push(user.id);
    return true;
  });
  await iterator.iterate();
  const total = await app.api("/users/$count").header("ConsistencyLevel", "eventual").get();
  if (seen.length !== Number(total) || seen.length <= 3) {
    throw new Error(`iterated ${seen.length} of ${total}`);
  }
  return `${seen.length} users over ${Math.ceil(seen.length / 3)} pages`;
});

await rows.check("GET /me (delegated token)", async () => {
  const me = await ownerMembers.api("/me").get();
  if (me.userPrincipalName !== "nina.patel@contoso.com" || !Array.isArray(me.businessPhones)) {
    throw new Error(JSON.stringify(me).slice(0, 120));
  }
  return `${me.userPrincipalName}, @odata.context ${me["@odata.context"] ? "present" : "missing"}`;
});

const vpn = await groupId("VPN Users");
const atlas = await groupId("Project Atlas");
const tom = await userId("tom.becker@contoso.com");
const jordan = await userId("jordan.lee@contoso.com");
const nina = await userId("nina.patel@contoso.com");

await rows.check("owner adds a member (GroupMember.ReadWrite.All)", async () => {
  await ownerMembers.api(`/groups/${vpn}/members/$ref`).post(reference(tom));
  await ownerMembers.api(`/groups/${vpn}/members/${tom}/$ref`).delete();
  return "added and removed";
});

await rows.check("someone adds themselves to a group they don't own", () =>
  refused(
    () => notOwner.api(`/groups/${atlas}/members/$ref`).post(reference(jordan)),
    403,
    "Authorization_RequestDenied",
  ),
);

await rows.check("owner adds an owner with GroupMember.ReadWrite.All", () =>
  refused(
    () => ownerMembers.api(`/groups/${vpn}/owners/$ref`).post(reference(jordan)),
    403,
    "Authorization_RequestDenied",
  ),
);

await rows.check("owner adds and removes an owner (Group.ReadWrite.All)", async () => {
  await ownerOwners.api(`/groups/${vpn}/owners/$ref`).post(reference(jordan));
  await ownerOwners.api(`/groups/${vpn}/owners/${jordan}/$ref`).delete();
  return "added and removed";
});

await rows.check("removing a security group's last owner", () =>
  refused(
    () => ownerOwners.api(`/groups/${vpn}/owners/${nina}/$ref`).delete(),
    400,
    "Request_BadRequest",
  ),
);

await rows.check("throttled: RetryHandler waits Retry-After", async () => {
  const before = (await control("GET", "graph/log")).length;
  await control("POST", "faults", { throttle_rate: 1, retry_after_seconds: 2 });
  const started = Date.now();
  setTimeout(() => control("POST", "faults", { throttle_rate: 0 }), 700);
  const me = await ownerMembers.api("/me").select("id").get();
  const waited = Date.now() - started;
  const calls = (await control("GET", "graph/log")).slice(before).map((entry) => entry.status);
  if (!me.id || waited < 2000 || calls[0] !== 429 || calls.at(-1) !== 200) {
    throw new Error(`waited ${waited} ms, statuses ${calls.join(",")}`);
  }
  return `429 then ${calls.length - 1} retry after ${(waited / 1000).toFixed(1)} s`;
});

rows.print();
