package api

import (
	"errors"
	"math"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sightline-dev/sightline/collector/admission"
)

// newAdmission builds the ingest admission controller from the options:
// the ingester's pending rows tell it when a batch whose request ended
// early has been flushed (see admission.Ticket.Release).
func newAdmission(o Options, reg prometheus.Registerer) *admission.Controller {
	ao := o.Admission
	if ao.PendingRows == nil && o.Ingester != nil {
		ao.PendingRows = o.Ingester.Pending
	}
	if ao.Now == nil {
		ao.Now = o.Now
	}
	adm := admission.New(ao)
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sightline_ingest_memory_bytes",
			Help: "Bytes of the ingest memory budget held by decoded records not yet flushed."},
			func() float64 { return float64(adm.Stats().UsedBytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sightline_ingest_memory_budget_bytes",
			Help: "The ingest memory budget (ingest.memory_budget_bytes)."},
			func() float64 { return float64(adm.Stats().BudgetBytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sightline_ingest_inflight",
			Help: "Agent batches being decoded or waiting for their flush."},
			func() float64 { return float64(adm.Stats().Inflight) }),
	)
	return adm
}

// admissionError maps the admission controller's refusals to API errors:
// a gzip bomb or a batch beyond the whole budget is 413 (retrying cannot
// help), a spent budget or in-flight cap 503, an agent over its rate 429;
// both of the latter with Retry-After, which the agent honours.
func (s *Server) admissionError(err error) error {
	var re *admission.RateError
	var ratio *admission.RatioError
	switch {
	case errors.As(err, &ratio):
		return errorf(kindTooLarge, ratio.Error())
	case errors.Is(err, admission.ErrTooLarge):
		return errorf(kindTooLarge, err.Error())
	case errors.Is(err, admission.ErrBusy):
		return errorf(kindBusy, err.Error())
	case errors.As(err, &re):
		ae := errorf(kindTooMany, err.Error()+" (ingest.agent_rate)")
		ae.retryAfter = int(math.Ceil(re.RetryAfter.Seconds()))
		return ae
	}
	return err
}
