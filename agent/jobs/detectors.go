package jobs

import (
	"fmt"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/safeio"
)

// maxDetectorsFile bounds a custom-detectors file: 50 definitions of a
// 1,000-term dictionary fit well under it.
const maxDetectorsFile = 4 << 20

// detector is the built-in detector set, reading national phone numbers
// in region's numbering plan (empty: the locale's), with the custom
// detectors of the scans section (agent.yaml or the collector's policy)
// and of its detectors file, if any. An id defined in both is an error
// that names it, as is a file that is unreadable or not a valid
// definition list.
func detector(s config.Scans, region string, env Env) (pii.Detector, error) {
	defs := append([]pii.Definition(nil), s.Detectors...)
	if s.DetectorsFile != "" {
		// Never a FIFO or a device planted at the path.
		data, err := safeio.ReadFile(s.DetectorsFile, maxDetectorsFile)
		if err != nil {
			return nil, fmt.Errorf("reading the custom detectors file %s: %w", s.DetectorsFile, err)
		}
		more, err := pii.ParseDefinitions(data)
		if err != nil {
			return nil, fmt.Errorf("custom detectors file %s: %w (fix it, or remove detectors_file)", s.DetectorsFile, err)
		}
		defs = append(defs, more...)
	}
	if region == "" {
		region = pii.RegionFromLocale(env.Getenv)
	}
	d, err := pii.WithCustom(pii.NewDefaultIn(region), defs)
	if err != nil {
		return nil, fmt.Errorf("custom detectors: %w", err)
	}
	return d, nil
}
