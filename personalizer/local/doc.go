// Package local is rankloop's embedded learning loop: a Personalizer-compatible
// contextual bandit that learns like Vowpal Wabbit 9 run with
// --cb_explore_adf, the way the Azure service ran it.
//
// A [Loop] featurizes context and action features into namespaces and
// scores every rankable action with a hashed linear model over the policy's
// interactions. It explores epsilon-greedily (or by softmax or tau-first).
// It joins rewards to events within the reward wait time, then learns with
// VW's default update: adaptive, normalized and importance-invariant
// gradient descent on squared loss.
//
// The loop keeps two views of its model. Training learns from every joined
// reward as soon as it is joined. Rank reads the serving model, which is
// refreshed from training every Options.ModelUpdateEvery Rank calls, or on
// the clock every Options.ModelExportFrequency ticks, as the service
// refreshed its model every model update frequency.
//
// # Featurization
//
// Flat keys of the context features land in namespace "FromUrl" and flat
// keys of action features in namespace "j", as the service wrapped them, so
// policies name them F and j: -q Fj crosses context and action. All objects
// of contextFeatures merge into one context, and all objects of an action's
// features into that action. Values follow Vowpal Wabbit's JSON parser:
//
//   - keys that start with "_" are ignored;
//   - a string is one feature named key+value with value 1, where spaces,
//     tabs, '|' and ':' in the value become '_';
//   - a number is a feature named key with that value, and 0 is dropped;
//   - true is a feature named key with value 1, while false and null add
//     nothing;
//   - an object opens a namespace named by its key, at any depth;
//   - an array of numbers opens a namespace named by its key, and its
//     element i is an anonymous feature with hash namespace-hash+i. Zeros
//     are dropped but keep their index, and nulls are skipped without one;
//   - an array of objects adds each object to the namespace named by its key;
//   - an array of strings, a nested array and any other value are errors.
//
// Policies name a namespace by its first byte, and ':' stands for every
// namespace seen. Every action also has VW's constant feature, which no
// interaction includes.
//
// # Two paths
//
// [Loop.Rank], [Loop.Reward] and [Loop.Activate] take the REST API's types.
// The runner uses the fast path instead: [Loop.PrepareContext] and
// [Loop.PrepareActions] featurize once, and [Loop.RankPrepared],
// [Loop.RewardPrepared] and [Loop.ActivatePrepared] rank and learn without
// JSON, maps of features or per-event allocations. Both paths rank alike for
// the same event id and inputs.
package local
