package server

import (
	"context"
	"time"
)

// The decision log keeps decided events for the retention setting (30
// days by default), then deletes them with their notifications: every
// replica looks once a minute (deleting twice deletes nothing more). Dead
// letters are kept until they are replayed or handled; events still on
// their way are never deleted; a schedule's run records go after the same
// time. River keeps its finished jobs for queue_retention.

// retentionBatch is the most rows one delete takes, so a first clean-up of
// a large store does not hold the writer for long.
const retentionBatch = 5000

// runRetention deletes what is past the retention until ctx ends.
func (s *Service) runRetention(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.deleteExpired(ctx, time.Now().Add(-s.cfg.Retention.D()))
		if err != nil {
			s.log.Warn("cannot delete events past the retention; trying again later", "error", err)
			continue
		}
		if n > 0 {
			s.log.Info("deleted decided events past the retention", "events", n, "retention", s.cfg.Retention.D().String())
		}
	}
}

// deleteExpired deletes the decided events (applied, recorded, ignored)
// last updated before cutoff, with their notifications, and the schedule
// runs that ended before it, a batch per write. It returns how many events
// it deleted.
func (s *Service) deleteExpired(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		var n int64
		err := s.store.writes.do(ctx, func(ctx context.Context, q querier, _ enqueueFunc) error {
			const expired = `SELECT id FROM organizer_events WHERE status IN ('applied', 'recorded', 'ignored', 'rejected', 'echo') AND updated_at < $1 ORDER BY seq LIMIT $2`
			if _, err := q.exec(ctx, `DELETE FROM organizer_notifications WHERE event_id IN (`+expired+`)`, cutoff.UnixMicro(), retentionBatch); err != nil {
				return err
			}
			if _, err := q.exec(ctx, `DELETE FROM organizer_decisions WHERE event_id IN (`+expired+`)`, cutoff.UnixMicro(), retentionBatch); err != nil {
				return err
			}
			var err error
			n, err = q.exec(ctx, `DELETE FROM organizer_events WHERE id IN (`+expired+`)`, cutoff.UnixMicro(), retentionBatch)
			if err != nil {
				return err
			}
			_, err = q.exec(ctx, `DELETE FROM organizer_sweeps WHERE finished_at > 0 AND finished_at < $1`, cutoff.UnixMicro())
			return err
		})
		total += int(n)
		if err != nil || n < retentionBatch {
			return total, err
		}
	}
}
