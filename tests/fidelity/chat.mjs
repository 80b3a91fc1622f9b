// Slack's and the Bot Framework's official clients against `doorman sim --tls`, the way a bot
// uses them: `@slack/web-api` calls every Web API method Doorman uses and meets
// `invalid_blocks`; `@slack/bolt` receives the simulator's signed events and interactions (and
// drops the bot's own post coming back, by `ignoreSelf`); `botbuilder` receives Teams activities
// signed like the Bot Connector's, replies, answers a card invoke, messages proactively, and
// meets the connector's refusals. Both listen on the bot's port, which the simulator delivers
// to. Configuration comes from the simulator's doorman.toml; nothing in the SDKs is patched.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";

import { ConfidentialClientApplication } from "@azure/msal-node";
import bolt from "@slack/bolt";
import { WebClient } from "@slack/web-api";
import {
  ActivityHandler,
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  TurnContext,
} from "botbuilder";
import { MsalServiceClientCredentialsFactory } from "botframework-connector";
import express from "express";

import { Rows } from "./rows.mjs";

const require = createRequire(import.meta.url);
const version = (name) => `${name} ${require(`${name}/package.json`).version}`;
const input = JSON.parse(readFileSync(process.env.FIDELITY_INPUT, "utf8"));
const { sim_url: sim, bot_port: botPort, config } = input;
const slackConfig = config.slack;
const ms = config.microsoft;
const teamsConfig = config.teams;

const webApi = new Rows(version("@slack/web-api"));
const boltRows = new Rows(version("@slack/bolt"));
const teamsRows = new Rows(version("botbuilder"));

async function control(method, path, body) {
  const answer = await fetch(`${sim}/_sim/${path}`, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return answer.json();
}

/** Waits until `probe` gives something truthy (up to 10 s). */
async function until(probe, what) {
  for (let tries = 0; tries < 100; tries += 1) {
    const value = await probe();
    if (value) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// === Slack: Bolt on the bot's port ===

const received = { messages: [], actions: [], views: [] };
const receiver = new bolt.ExpressReceiver({
  signingSecret: slackConfig.signing_secret,
  endpoints: { events: "/slack/events", actions: "/slack/interactions" },
});
const app = new bolt.App({
  token: slackConfig.bot_token,
  receiver,
  clientOptions: { slackApiUrl: `${slackConfig.api_url}/` },
});
const modal = {
  type: "modal",
  callback_id: "deny_reason",
  private_metadata: "R-1",
  title: { type: "plain_text", text: "Deny" },
  submit: { type: "plain_text", text: "Deny" },
  blocks: [
    {
      type: "input",
      block_id: "reason",
      label: { type: "plain_text", text: "Why?" },
      element: { type: "plain_text_input", action_id: "reason_input" },
    },
  ],
};
app.message(async ({ message, say }) => {
  received.messages.push(message);
  await say({
    text: "Approval needed",
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `You said: ${message.text}` } },
      {
        type: "actions",
        elements: [
          { type: "button", action_id: "deny", value: "R-1", text: { type: "plain_text", text: "Deny" } },
        ],
      },
    ],
  });
});
app.action("deny", async ({ ack, body, client }) => {
  await ack();
  received.actions.push(body);
  await client.views.open({ trigger_id: body.trigger_id, view: modal });
});
app.view("deny_reason", async ({ ack, view }) => {
  await ack();
  received.views.push(view);
});

// === Teams: botbuilder on the same port ===

const tenantAuthority = `${ms.authority.replace(/\/$/, "")}/${ms.tenant_id}`;
const msal = new ConfidentialClientApplication({
  auth: {
    clientId: teamsConfig.app_id,
    clientSecret: teamsConfig.app_password,
    authority: tenantAuthority,
    // msal-node trusts Microsoft's login hosts; any other must be named.
    knownAuthorities: [new URL(tenantAuthority).host],
  },
});
const authentication = new ConfigurationBotFrameworkAuthentication(
  {
    MicrosoftAppId: teamsConfig.app_id,
    MicrosoftAppPassword: teamsConfig.app_password,
    MicrosoftAppType: "SingleTenant",
    MicrosoftAppTenantId: ms.tenant_id,
    // A channel service that is not Azure's public cloud takes its endpoints from here.
    ChannelService: sim,
    ToChannelFromBotLoginUrl: tenantAuthority,
    ToChannelFromBotOAuthScope: "https://api.botframework.com",
    ToBotFromChannelTokenIssuer: "https://api.botframework.com",
    ToBotFromChannelOpenIdMetadataUrl: teamsConfig.openid_metadata_url,
    ValidateAuthority: false,
  },
  new MsalServiceClientCredentialsFactory(teamsConfig.app_id, msal),
);
const adapter = new CloudAdapter(authentication);
const teamsSeen = { messages: [], invokes: [], references: [] };
class Bot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      teamsSeen.messages.push(context.activity);
      teamsSeen.references.push(TurnContext.getConversationReference(context.activity));
      await context.sendActivity(`You said: ${context.activity.text}`);
      const card = CardFactory.adaptiveCard({
        type: "AdaptiveCard",
        version: "1.5",
        body: [{ type: "TextBlock", text: "Approve?", wrap: true }],
        actions: [{ type: "Action.Execute", title: "Approve", verb: "approve", data: { request: "R-1" } }],
      });
      await context.sendActivity({ attachments: [card] });
      await next();
    });
  }

  async onAdaptiveCardInvoke(context, invokeValue) {
    teamsSeen.invokes.push(invokeValue);
    return {
      statusCode: 200,
      type: "application/vnd.microsoft.card.adaptive",
      value: {
        type: "AdaptiveCard",
        version: "1.5",
        body: [{ type: "TextBlock", text: `Approved ${invokeValue.action.data.request}` }],
      },
    };
  }
}
const bot = new Bot();
receiver.router.post("/api/messages", express.json({ limit: "1mb" }), (request, response) =>
  adapter.process(request, response, (context) => bot.run(context)),
);

await app.start(botPort);

// === @slack/web-api: every method Doorman uses ===

const web = new WebClient(slackConfig.bot_token, { slackApiUrl: `${slackConfig.api_url}/` });
const tom = "U04TOM";
let dm;
let posted;
await webApi.check("auth.test", async () => {
  const answer = await web.auth.test();
  return `${answer.user_id} / ${answer.bot_id} in ${answer.team_id}`;
});
await webApi.check("conversations.open", async () => {
  dm = (await web.conversations.open({ users: tom })).channel.id;
  return dm;
});
await webApi.check("chat.postMessage with blocks (block_id generated)", async () => {
  posted = await web.chat.postMessage({
    channel: dm,
    text: "Checking",
    blocks: [{ type: "section", text: { type: "mrkdwn", text: "*Checking*" } }],
  });
  const blockId = posted.message.blocks[0].block_id;
  if (!blockId) throw new Error("no block_id");
  return `ts ${posted.ts}, block_id ${blockId}`;
});
await webApi.check("chat.update", async () => {
  const updated = await web.chat.update({ channel: dm, ts: posted.ts, text: "Done", blocks: [] });
  return `ts ${updated.ts}`;
});
await webApi.check("users.info", async () => (await web.users.info({ user: tom })).user.profile.email);
await webApi.check("users.lookupByEmail", async () => {
  return (await web.users.lookupByEmail({ email: "tom.becker@contoso.com" })).user.id;
});
const invalid = {
  "51 blocks": Array.from({ length: 51 }, () => ({ type: "section", text: { type: "plain_text", text: "x" } })),
  "a 3,001-character section": [{ type: "section", text: { type: "mrkdwn", text: "x".repeat(3001) } }],
  "an unknown block type": [{ type: "nonsense" }],
  "a 76-character button": [
    { type: "actions", elements: [{ type: "button", action_id: "a", text: { type: "plain_text", text: "y".repeat(76) } }] },
  ],
  "a button without text": [{ type: "actions", elements: [{ type: "button", action_id: "a" }] }],
  "two buttons, one action_id": [
    {
      type: "actions",
      elements: [
        { type: "button", action_id: "a", text: { type: "plain_text", text: "One" } },
        { type: "button", action_id: "a", text: { type: "plain_text", text: "Two" } },
      ],
    },
  ],
  "mrkdwn in a button": [
    { type: "actions", elements: [{ type: "button", action_id: "a", text: { type: "mrkdwn", text: "*Go*" } }] },
  ],
};
for (const [what, blocks] of Object.entries(invalid)) {
  await webApi.check(`chat.postMessage refuses ${what}`, async () => {
    try {
      await web.chat.postMessage({ channel: dm, text: "t", blocks });
    } catch (error) {
      const messages = error.data?.response_metadata?.messages ?? [];
      if (error.code === "slack_webapi_platform_error" && error.data.error === "invalid_blocks" && messages.length) {
        return `invalid_blocks: ${messages[0]}`;
      }
      throw error;
    }
    throw new Error("accepted; Slack answers invalid_blocks");
  });
}

// === @slack/bolt: the simulator's signed events and interactions ===

await boltRows.check("signed message event reaches app.message", async () => {
  const before = (await control("GET", "slack/log")).length;
  await control("POST", "slack/message", { user: tom, text: "add me to VPN Users" });
  await until(() => received.messages.length === 1, "the message");
  const message = received.messages[0];
  if (!message.blocks?.length) throw new Error("the event has no blocks");
  // The reply Bolt posted comes back as the bot's own event; ignoreSelf drops it.
  const echoed = await until(async () => {
    const log = (await control("GET", "slack/log")).slice(before);
    return log.find((entry) => entry.bot_id && entry.status === 200);
  }, "the bot's own post to come back");
  await sleep(300);
  if (received.messages.length !== 1) throw new Error(`handled ${received.messages.length} messages`);
  return `"${message.text}"; own post ${echoed.event_id} delivered and ignored (ignoreSelf)`;
});
await boltRows.check("signed block_actions reach app.action, views.open", async () => {
  const dmMessages = await control("GET", `slack/messages?user=${tom}`);
  const card = dmMessages.find((message) => JSON.stringify(message.blocks).includes('"deny"'));
  const clicked = await control("POST", "slack/action", { user: tom, message_ts: card.ts, action_id: "deny" });
  if (clicked.status !== 200) throw new Error(`bolt answered ${clicked.status}`);
  await until(() => received.actions.length === 1, "the click");
  const views = await until(async () => {
    const opened = await control("GET", "slack/views");
    return opened.length ? opened : null;
  }, "the modal");
  return `trigger ${received.actions[0].trigger_id.slice(0, 12)}…, modal ${views[0].id} opened by web-api`;
});
await boltRows.check("signed view_submission reaches app.view", async () => {
  const [view] = await control("GET", "slack/views");
  const submitted = await control("POST", "slack/view", {
    user: tom,
    view_id: view.id,
    values: { reason_input: "not needed" },
  });
  await until(() => received.views.length === 1, "the submission");
  const value = received.views[0].state.values.reason.reason_input.value;
  if (value !== "not needed") throw new Error(`read ${value}`);
  return `status ${submitted.status}, reason "${value}"`;
});

// === botbuilder: Teams activities and the Bot Connector ===

const maria = "maria.garcia@contoso.com";
await teamsRows.check("signed activity passes CloudAdapter's JWT checks", async () => {
  const answer = await control("POST", "teams/message", { from: maria, text: "hello" });
  if (answer.status !== 200) throw new Error(`the bot answered ${answer.status}`);
  await until(() => teamsSeen.messages.length === 1, "the activity");
  return `from ${teamsSeen.messages[0].from.aadObjectId}, serviceUrl ${teamsSeen.messages[0].serviceUrl}`;
});
await teamsRows.check("replies and a card through the connector", async () => {
  const seen = await until(async () => {
    const chat = await control("GET", `teams/conversations/${maria}`);
    return chat.length >= 2 ? chat : null;
  }, "the replies");
  return `${seen.length} activities: "${seen[0].text}", ${seen[1].attachments[0].contentType}`;
});
await teamsRows.check("Action.Execute invoke answered with a card", async () => {
  const chat = await control("GET", `teams/conversations/${maria}`);
  const card = chat.find((activity) => activity.attachments?.length);
  const action = card.attachments[0].content.actions[0];
  const answer = await control("POST", "teams/invoke", { from: maria, replyToId: card.id, action });
  const text = answer.body?.value?.body?.[0]?.text;
  if (answer.status !== 200 || text !== "Approved R-1") throw new Error(JSON.stringify(answer).slice(0, 160));
  return `${answer.status}: "${text}"`;
});
await teamsRows.check("proactive message (continueConversationAsync)", async () => {
  await adapter.continueConversationAsync(teamsConfig.app_id, teamsSeen.references[0], async (context) => {
    await context.sendActivity("A proactive note");
  });
  const chat = await control("GET", `teams/conversations/${maria}`);
  if (chat.at(-1).text !== "A proactive note") throw new Error(JSON.stringify(chat.at(-1)));
  return `${chat.length} activities in the chat`;
});
await teamsRows.check("empty activity refused by the connector", async () => {
  try {
    await adapter.continueConversationAsync(teamsConfig.app_id, teamsSeen.references[0], (context) =>
      context.sendActivity({ type: "message" }),
    );
  } catch (error) {
    if (error.statusCode === 400) return `400 ${error.code ?? ""}`.trim();
    throw error;
  }
  throw new Error("accepted; the Bot Connector answers 400");
});
await teamsRows.check("card over 28 KB refused by the connector", async () => {
  const huge = CardFactory.adaptiveCard({
    type: "AdaptiveCard",
    version: "1.5",
    body: [{ type: "TextBlock", text: "x".repeat(30 * 1024) }],
  });
  try {
    await adapter.continueConversationAsync(teamsConfig.app_id, teamsSeen.references[0], (context) =>
      context.sendActivity({ attachments: [huge] }),
    );
  } catch (error) {
    if (error.statusCode === 413) return `413 ${error.code ?? ""}`.trim();
    throw error;
  }
  throw new Error("accepted; Teams answers 413");
});

for (const rows of [webApi, boltRows, teamsRows]) rows.print();
await app.stop();
process.exit(0);
