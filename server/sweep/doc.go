// Package sweep runs a query over a provider's catalog and decides each
// item it returns with the rules, as if an event about the item had just
// arrived: the schedules of the rule files (the guide's nightly archive of
// what nobody watched) and the backfill of a rules change over the content
// that already exists. It pages through every result, says field by field
// what applying each plan would change, and applies the plans with bounded
// concurrency, waiting out rate limits.
//
// organizer sweep uses it in process; the service uses it to decide what a
// run would change (its change budget) before its items go through the
// pipeline as events.
package sweep
