package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	sharedconfig "github.com/sightline-dev/sightline/internal/config"
)

// forceExitAfter bounds a stop: service managers wait about 5 s before a
// SIGKILL, and every scanner honours cancellation well within it. A
// scanner stuck past it (a hung network file system, a call that ignores
// its context) must not keep the agent alive: the spool's recovery copes
// with an exit at any moment (see package spool).
const forceExitAfter = 4500 * time.Millisecond

// stopOnSignals returns a context cancelled by the first SIGINT or
// SIGTERM. A second signal, or grace passing after the first without the
// process having ended, logs why and calls exit(1). The returned func
// stops watching.
func stopOnSignals(parent context.Context, grace time.Duration, stderr io.Writer, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	log := sharedconfig.Logger("info", stderr)
	go func() {
		var first os.Signal
		select {
		case first = <-sigs:
		case <-done:
			return
		}
		log.Info("stopping: finishing what is in progress; a second signal forces an exit", "signal", first.String(), "force_after", grace)
		cancel()
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case s := <-sigs:
			log.Warn("second signal: exiting now", "signal", s.String())
			exit(1)
		case <-t.C:
			log.Warn("still running after the grace period: exiting now; an open spool segment is recovered at the next start",
				"signal", first.String(), "grace", grace)
			exit(1)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
