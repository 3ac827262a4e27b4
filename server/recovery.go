package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// recoverInterrupted makes the jobs a crashed process left running
// available again, at once, instead of after rescue_after. Only for a store
// one process owns: the SQLite file, whose lock (lockStore) this process
// holds, so every job still in state running belongs to a process that is
// gone. Never for PostgreSQL, where a running job may be another live
// replica's; there River's rescuer takes them up after rescue_after.
//
// It runs before River starts and does what River's rescuer does to a
// stuck job, through the same driver calls (JobGetStuck, JobRescueMany):
// the attempt stays counted and gets an error entry, River's rescue count
// goes up, and the job is scheduled now. Unlike the rescuer it makes the job
// available rather than retryable (no wait for the leader's scheduler) and
// does not discard a job whose attempts are spent: the next run is its last
// (River runs a job once more, and the worker sees job.Attempt ≥
// MaxAttempts), so the event still ends in a status, never stranded. A
// commit's job run again hands its unfinished events to their own jobs.
func recoverInterrupted(ctx context.Context, exec riverdriver.Executor) (int, error) {
	// Every running job, whenever its attempt started: this far horizon
	// takes in an attempted_at ahead of the clock, too.
	horizon := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	var afterID int64
	recovered := 0
	for {
		jobs, err := exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{AfterID: afterID, Max: 1000, StuckHorizon: horizon})
		if err != nil {
			return recovered, fmt.Errorf("listing interrupted jobs: %w", err)
		}
		if len(jobs) == 0 {
			return recovered, nil
		}
		now := time.Now().UTC()
		p := &riverdriver.JobRescueManyParams{StuckHorizon: horizon}
		for _, job := range jobs {
			afterID = job.ID
			errData, err := json.Marshal(rivertype.AttemptError{
				At: now, Attempt: max(job.Attempt, 0),
				Error: "interrupted: the process running this attempt stopped; taken up again at start",
			})
			if err != nil {
				return recovered, err
			}
			p.ID = append(p.ID, job.ID)
			p.Error = append(p.Error, errData)
			p.FinalizedAt = append(p.FinalizedAt, nil)
			p.ScheduledAt = append(p.ScheduledAt, now)
			p.State = append(p.State, string(rivertype.JobStateAvailable))
		}
		if _, err := exec.JobRescueMany(ctx, p); err != nil {
			return recovered, fmt.Errorf("making interrupted jobs available: %w", err)
		}
		recovered += len(jobs)
	}
}

// releaseDeadLeader ends the leadership a crashed process still holds, on
// a store this process owns (see recoverInterrupted): River's leader moves
// scheduled and retryable jobs (retries, snoozes, order waits) to available,
// and a restarted process would otherwise wait for the dead leader's lease
// to run out before it is elected. Through River's driver: the resignation
// River itself makes when a leader stops.
func releaseDeadLeader(ctx context.Context, exec riverdriver.Executor) (bool, error) {
	leader, err := exec.LeaderGetElectedLeader(ctx, &riverdriver.LeaderGetElectedLeaderParams{})
	if errors.Is(err, rivertype.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the queue's leader: %w", err)
	}
	ok, err := exec.LeaderResign(ctx, &riverdriver.LeaderResignParams{ElectedAt: leader.ElectedAt, LeaderID: leader.LeaderID})
	if err != nil {
		return false, fmt.Errorf("ending the leadership of %s: %w", leader.LeaderID, err)
	}
	return ok, nil
}
