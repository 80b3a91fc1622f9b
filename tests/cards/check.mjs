// Every Adaptive Card Doorman builds, as the test `every_card_is_dumped_and_within_what_teams_and_slack_take`
// wrote them (target/cards/teams/*.json, one Bot Framework activity each), parsed, validated and
// rendered by Microsoft's own `adaptivecards` library under a host config like Teams' (at most five
// actions, interactivity on), targeting Adaptive Cards 1.5. Any event the library reports while
// parsing or validating, warning or error, fails the check, as does a card that does not render.
//
// Usage: node tests/cards/check.mjs [folder]   (default: target/cards/teams)
//
// The library is written for browsers: jsdom supplies the document it renders into, and its UMD
// bundle is loaded (the package's `lib/` is ES modules without file extensions, for bundlers).

import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.self = dom.window;
globalThis.document = dom.window.document;
// The DOM's classes the renderer tests elements against (HTMLButtonElement, Node, ...).
for (const name of Object.getOwnPropertyNames(dom.window)) {
  if (/^(HTML|SVG|Node|Element|Event|Keyboard|Mouse|getComputedStyle$)/.test(name) && !(name in globalThis)) {
    globalThis[name] = dom.window[name];
  }
}
if (!("navigator" in globalThis)) {
  globalThis.navigator = dom.window.navigator;
}

const require = createRequire(import.meta.url);
const AC = require("adaptivecards/dist/adaptivecards.js");

const ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive";

// Teams renders markdown in text; the library wants a processor for it, and text as written will do.
AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
  result.outputHtml = text;
  result.didProcess = true;
};

// Teams renders bot cards with at most five actions in a set, and interactivity on.
const hostConfig = new AC.HostConfig({
  supportsInteractivity: true,
  actions: {
    maxActions: 5,
    spacing: "default",
    buttonSpacing: 8,
    showCard: { actionMode: "inline", inlineTopMargin: 8 },
    actionsOrientation: "horizontal",
    actionAlignment: "stretch",
  },
});

/// Every problem the library reports about one card.
function problems(content) {
  const found = [];
  const card = new AC.AdaptiveCard();
  card.hostConfig = hostConfig;
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  card.parse(content, context);
  for (let index = 0; index < context.eventCount; index++) {
    const event = context.getEventAt(index);
    found.push(`parse: ${AC.ValidationEvent[event.event]}: ${event.message}`);
  }
  const results = card.validateProperties();
  for (const event of results.validationEvents) {
    found.push(`validate: ${AC.ValidationEvent[event.event]}: ${event.message}`);
  }
  if (AC.Versions.v1_5.compareTo(card.version) < 0) {
    found.push(`version ${card.version} is past 1.5`);
  }
  const rendered = card.render();
  if (!rendered) {
    found.push("render: nothing was rendered");
  }
  return found;
}

const folder = process.argv[2] ?? "target/cards/teams";
let files;
try {
  files = readdirSync(folder).filter((name) => name.endsWith(".json"));
} catch (error) {
  console.error(`cards: cannot read ${folder} (${error.message}); run the dump test first`);
  process.exit(1);
}
if (files.length === 0) {
  console.error(`cards: no cards in ${folder}; run the dump test first`);
  process.exit(1);
}

let cards = 0;
const failures = [];
for (const name of files.sort()) {
  const activity = JSON.parse(readFileSync(join(folder, name), "utf8"));
  for (const attachment of activity.attachments ?? []) {
    if (attachment.contentType !== ADAPTIVE_CARD) {
      continue;
    }
    cards++;
    for (const problem of problems(attachment.content)) {
      failures.push(`${name}: ${problem}`);
    }
  }
}
if (failures.length > 0) {
  console.error(failures.join("\n"));
  console.error(`cards: ${failures.length} problems in ${cards} cards`);
  process.exit(1);
}
console.log(`cards: ${cards} Adaptive Cards in ${files.length} messages parse, validate and render`);
