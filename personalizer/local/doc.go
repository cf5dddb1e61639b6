// Package local is rankloop's embedded learning loop: a Personalizer-compatible
// contextual bandit that learns like Vowpal Wabbit 9 run with
// --cb_explore_adf, the way the Azure service ran it.
//
// A [Loop] featurizes context and action features into namespaces, scores
// every rankable action with a hashed linear model over the policy's
// interactions, explores epsilon-greedily (or by softmax or tau-first), and
// joins rewards to events within the reward wait time before it learns with
// VW's default update: adaptive, normalized and importance-invariant
// gradient descent on squared loss.
//
// The loop keeps two views of its model. Training learns from every joined
// reward as soon as it is joined. Rank reads the serving model, which is
// refreshed from training every Options.ModelUpdateEvery Rank calls, or on
// the clock every Options.ModelExportFrequency ticks, as the service
// refreshed its model every model update frequency.
//
// [Loop.Rank], [Loop.Reward] and [Loop.Activate] take the REST API's types.
// The runner uses the fast path instead: [Loop.PrepareContext] and
// [Loop.PrepareActions] featurize once, and [Loop.RankPrepared],
// [Loop.RewardPrepared] and [Loop.ActivatePrepared] rank and learn without
// JSON, maps of features or per-event allocations. Both paths give the same
// answer for the same event id and inputs.
package local
