// Drives a Personalizer endpoint with the official JavaScript SDK
// (@azure/cognitiveservices-personalizer 2.0.1, unchanged) and prints what
// the SDK returned as one JSON object on stdout, for a Go test to check.
//
// Usage: node drive.js ENDPOINT KEY
//
// The calls: a rank with an event id that needs URL encoding, a reward of
// it, a deferred rank and its activation, and a rank with duplicate action
// ids that the endpoint must reject with a RestError.
"use strict";

const { PersonalizerClient } = require("@azure/cognitiveservices-personalizer");
const { CognitiveServicesCredentials } = require("@azure/ms-rest-azure-js");
const { RestError } = require("@azure/ms-rest-js");

const coffees = [
  { id: "Cappucino", features: [{ type: "hot", origin: "kenya", organic: "yes", roast: "dark" }] },
  { id: "Cold brew", features: [{ type: "cold", origin: "brazil", organic: "yes", roast: "light" }] },
  { id: "Iced mocha", features: [{ type: "cold", origin: "ethiopia", organic: "no", roast: "light" }] },
  { id: "Latte", features: [{ type: "hot", origin: "brazil", organic: "no", roast: "dark" }] },
];

async function main() {
  const [endpoint, key] = process.argv.slice(2);
  if (!endpoint) {
    throw new Error("usage: node drive.js ENDPOINT KEY");
  }
  const client = new PersonalizerClient(new CognitiveServicesCredentials(key || ""), endpoint);
  const out = {};

  const ranked = await client.rank({
    contextFeatures: [{ name: "Alice", weather: "Sunny", timeofday: "Morning" }],
    actions: coffees,
    excludedActions: ["Latte"],
    eventId: "js ev/1?",
  });
  out.rank = {
    status: ranked._response.status,
    eventId: ranked.eventId,
    rewardActionId: ranked.rewardActionId,
    ranking: ranked.ranking,
  };

  const rewarded = await client.events.reward(ranked.eventId, { value: 1 });
  out.reward = { status: rewarded._response.status };

  const deferred = await client.rank({ actions: coffees, deferActivation: true });
  const activated = await client.events.activate(deferred.eventId);
  out.deferred = { status: deferred._response.status, eventId: deferred.eventId };
  out.activate = { status: activated._response.status };

  try {
    await client.rank({ actions: [coffees[0], coffees[0]] });
    out.invalid = { error: "none" };
  } catch (err) {
    out.invalid = { restError: err instanceof RestError, statusCode: err.statusCode, code: err.code, message: err.message };
  }

  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((err) => {
  process.stderr.write(`drive.js: ${err.stack || err}\n`);
  process.exit(1);
});
