package objscan

import "strings"

// Jurisdiction of a cloud region, as a privacy office groups them. It reads
// the region names of AWS (eu-west-1), Google Cloud (europe-west1, and the
// multi-regions EU, US, ASIA) and Azure (westeurope, germanywestcentral,
// eastus); a name it does not know is "unknown", never a guess.
func Jurisdiction(region string) string {
	r := strings.ToLower(strings.TrimSpace(region))
	if j, ok := exact[r]; ok {
		return j
	}
	for _, p := range prefixes {
		if strings.HasPrefix(r, p.prefix) {
			return p.jurisdiction
		}
	}
	return "unknown"
}

// exact are names a prefix would misread: Google's multi-regions and
// dual-regions, and Azure regions whose names do not start with their
// area.
var exact = map[string]string{
	"eu": "EU", "eur4": "EU", "eur5": "EU", "eur7": "EU", "eur8": "EU",
	"us": "US", "nam4": "US",
	"asia": "APAC", "asia1": "APAC",
	"uksouth": "UK", "ukwest": "UK",
	"westeurope": "EU", "northeurope": "EU", "swedencentral": "EU", "swedensouth": "EU", "italynorth": "EU",
	"polandcentral": "EU", "spaincentral": "EU",
	"westus": "US", "westus2": "US", "westus3": "US", "eastus": "US", "eastus2": "US", "centralus": "US",
	"northcentralus": "US", "southcentralus": "US", "westcentralus": "US",
	"eastasia": "APAC", "southeastasia": "APAC", "centralindia": "APAC", "southindia": "APAC", "westindia": "APAC",
	"israelcentral": "ME", "qatarcentral": "ME",
	"mexicocentral": "LATAM", "chilecentral": "LATAM",
	"switzerlandnorth": "CH", "switzerlandwest": "CH", "norwayeast": "NO", "norwaywest": "NO",
}

// prefixes are checked in order: the longer before the shorter.
var prefixes = []struct{ prefix, jurisdiction string }{
	// AWS
	{"eu-", "EU"}, {"us-gov-", "US-GOV"}, {"us-", "US"}, {"ca-", "CA"}, {"ap-", "APAC"}, {"sa-", "SA"},
	{"me-", "ME"}, {"il-", "ME"}, {"af-", "AF"}, {"mx-", "LATAM"},
	// Google Cloud
	{"europe-west2", "UK"}, {"europe-west6", "CH"}, {"europe-", "EU"}, {"northamerica-northeast", "CA"},
	{"northamerica-south", "LATAM"}, {"southamerica-", "SA"}, {"asia-", "APAC"}, {"australia-", "APAC"},
	{"me-", "ME"}, {"africa-", "AF"},
	// Azure
	{"usgov", "US-GOV"}, {"francecentral", "EU"}, {"francesouth", "EU"}, {"germany", "EU"},
	{"canada", "CA"}, {"brazil", "SA"}, {"australia", "APAC"}, {"japan", "APAC"}, {"korea", "APAC"},
	{"uae", "ME"}, {"southafrica", "AF"},
}
