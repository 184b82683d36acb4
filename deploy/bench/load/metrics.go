package main

import (
	"context"
	"fmt"
	"io"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ingestMetrics is what the bench reads from the collector's /metrics.
type ingestMetrics struct {
	Records       float64 // sightline_ingest_records_total, all kinds: records in answered batches
	FlushRows     float64 // sum of sightline_ingest_flush_rows: rows sent to ClickHouse in inserts
	FlushErrors   float64 // inserts that failed (sightline_ingest_flush_duration_seconds{result="error"})
	Duplicates    float64 // batches answered from the idempotency record
	FailedBatches float64 // batches answered with an error (busy, store down)
}

// scrape reads the collector's ingest metrics.
func scrape(ctx context.Context, client *http.Client, base string) (ingestMetrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return ingestMetrics{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return ingestMetrics{}, fmt.Errorf("reading the collector's /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return ingestMetrics{}, fmt.Errorf("reading the collector's /metrics: %s", resp.Status)
	}
	return parseMetrics(resp.Body)
}

func parseMetrics(r io.Reader) (ingestMetrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return ingestMetrics{}, fmt.Errorf("parsing the collector's /metrics: %w", err)
	}
	var m ingestMetrics
	for _, mt := range fams["sightline_ingest_records_total"].GetMetric() {
		m.Records += mt.GetCounter().GetValue()
	}
	for _, mt := range fams["sightline_ingest_flush_rows"].GetMetric() {
		m.FlushRows += mt.GetHistogram().GetSampleSum()
	}
	for _, mt := range fams["sightline_ingest_flush_duration_seconds"].GetMetric() {
		if label(mt, "result") == "error" {
			m.FlushErrors += float64(mt.GetHistogram().GetSampleCount())
		}
	}
	for _, mt := range fams["sightline_ingest_batches_total"].GetMetric() {
		switch label(mt, "result") {
		case "duplicate":
			m.Duplicates += mt.GetCounter().GetValue()
		case "failed":
			m.FailedBatches += mt.GetCounter().GetValue()
		}
	}
	return m, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
