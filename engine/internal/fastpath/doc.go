// Package fastpath compiles the common shapes of rule conditions into Go
// closures and indexes rules by what their conditions test, so that an
// event runs only the rules that can match it, mostly without the expr VM.
//
// The closures ([Bool], [Any], [Value]) cover field reads, comparisons with
// constants, keyword and regular-expression tests and the string helpers.
// Each returns ok=false as soon as a value is not of the type it expects,
// and the engine then runs the expr program instead: the fast path never
// decides a case whose semantics it does not share with expr.
//
// The index ([KeyOf], [NewBucket]) keys each rule on the first conjunct of
// its condition — an equality, a keyword, a numeric threshold or a pattern
// — and a [Bucket] marks, for one event, the rules whose key it hits in
// [State.Hits], and in [State.Evals] those whose condition must still run
// because the hit does not prove it.
//
// The package holds no state between evaluations and performs no I/O; the
// engine owns the [State] of each evaluation.
package fastpath
