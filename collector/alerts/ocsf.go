package alerts

// OCSF: events go to a SIEM as OCSF Detection Findings (class 2004,
// category 2 Findings, schema 1.1), the class for "a detection produced
// a finding" that needs no vulnerability or compliance frame. Required
// fields: activity_id, category_uid, class_uid, finding_info (uid,
// title), metadata (product, version), severity_id, time, type_uid.

// OCSFVersion is the schema version the findings name.
const OCSFVersion = "1.1.0"

// OCSFFinding is an OCSF Detection Finding.
type OCSFFinding struct {
	ActivityID   int            `json:"activity_id"`
	ActivityName string         `json:"activity_name"`
	CategoryUID  int            `json:"category_uid"`
	CategoryName string         `json:"category_name"`
	ClassUID     int            `json:"class_uid"`
	ClassName    string         `json:"class_name"`
	TypeUID      int            `json:"type_uid"`
	TypeName     string         `json:"type_name"`
	SeverityID   int            `json:"severity_id"`
	Severity     string         `json:"severity"`
	StatusID     int            `json:"status_id"`
	Status       string         `json:"status"`
	Time         int64          `json:"time"` // Unix milliseconds
	Message      string         `json:"message"`
	Metadata     OCSFMetadata   `json:"metadata"`
	FindingInfo  OCSFFindingInf `json:"finding_info"`
	Resources    []OCSFResource `json:"resources,omitempty"`
	Unmapped     Facts          `json:"unmapped"`
}

// OCSFMetadata is the finding's metadata object.
type OCSFMetadata struct {
	Version string      `json:"version"`
	Product OCSFProduct `json:"product"`
	UID     string      `json:"uid"`
}

// OCSFProduct names Sightline.
type OCSFProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
}

// OCSFFindingInf is the finding_info object.
type OCSFFindingInf struct {
	UID       string   `json:"uid"`
	Title     string   `json:"title"`
	Types     []string `json:"types"`
	CreatedAt int64    `json:"created_time"`
	Analytic  struct {
		Name   string `json:"name"`
		TypeID int    `json:"type_id"` // 1: rule
		Type   string `json:"type"`
	} `json:"analytic"`
}

// OCSFResource is the finding's subject.
type OCSFResource struct {
	UID  string `json:"uid"`
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

var ocsfSeverity = map[string]int{"low": 2, "medium": 3, "high": 4, "critical": 5}

// OCSF returns e as an OCSF Detection Finding.
func OCSF(e Event) OCSFFinding {
	sev := ocsfSeverity[e.Severity]
	if sev == 0 {
		sev = 99
	}
	f := OCSFFinding{
		ActivityID: 1, ActivityName: "Create",
		CategoryUID: 2, CategoryName: "Findings",
		ClassUID: 2004, ClassName: "Detection Finding",
		TypeUID: 200401, TypeName: "Detection Finding: Create",
		SeverityID: sev, Severity: titleCase(e.Severity),
		StatusID: 1, Status: "New",
		Time:     e.FiredAt.UnixMilli(),
		Message:  e.Title,
		Metadata: OCSFMetadata{Version: OCSFVersion, Product: OCSFProduct{Name: "Sightline", VendorName: "Sightline"}, UID: e.ID},
		Unmapped: e.Facts,
	}
	f.FindingInfo.UID = e.ID
	f.FindingInfo.Title = e.Title
	f.FindingInfo.Types = []string{e.Kind}
	f.FindingInfo.CreatedAt = e.FiredAt.UnixMilli()
	f.FindingInfo.Analytic.Name = e.Rule
	f.FindingInfo.Analytic.TypeID = 1
	f.FindingInfo.Analytic.Type = "Rule"
	r := OCSFResource{UID: e.Subject, Type: e.Facts.AssetType, Name: e.Facts.Location}
	switch e.Kind {
	case KindPrivilegedAccount:
		r.Type, r.Name = "account", e.Facts.AccountMasked
	case KindDSRDeadline:
		r.Type, r.Name = "data_subject_request", e.Facts.Reference
	case KindOverdueRevocation:
		r.Type = "grant"
	case KindReviewReminder:
		r.Type, r.UID, r.Name = "access_review", e.Facts.CampaignID, e.Facts.Campaign
	case KindPIAReview:
		r.Type, r.UID = "privacy_impact_assessment", e.Facts.PIA
	}
	f.Resources = []OCSFResource{r}
	return f
}

func titleCase(s string) string {
	if s == "" {
		return "Unknown"
	}
	return string(s[0]-'a'+'A') + s[1:]
}
