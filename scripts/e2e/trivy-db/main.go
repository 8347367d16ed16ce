// Writes the e2e suite's fixture trivy vulnerability DB (trivy-db schema 2, a bbolt file) and its
// metadata.json into the directory given. Four advisories, each matching what the e2e images hold:
//   - CVE-2099-0001, HIGH, fixed in 99.0: the Debian source package base-files (e2e/static's);
//   - CVE-2099-0002, CRITICAL, no fix: the Debian source package tzdata (e2e/static's);
//   - CVE-2099-0003, HIGH, fixed in 0.17.0: the Go module example.com/fixture/vulnerable below
//     0.17.0, which the vulnerability test binary records in its build info (and the
//     reachability workload calls: govulncheck's fixture DB, scripts/e2e/govulndb, has it too);
//   - CVE-2099-0004, HIGH, fixed in 0.3.0: the Go module example.com/fixture/unreached below
//     0.3.0, which the reachability workload links but whose vulnerable function it never calls.
// Usage: trivy-db OUT_DIR DEBIAN_MAJOR
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

func put(b *bolt.Bucket, key string, v interface{}) {
	data, err := json.Marshal(v)
	check(err)
	check(b.Put([]byte(key), data))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "trivy-db:", err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: trivy-db OUT_DIR DEBIAN_MAJOR")
		os.Exit(2)
	}
	out, debian := os.Args[1], "debian "+os.Args[2]
	const golang = "go::GitHub Security Advisory Go"
	check(os.MkdirAll(out, 0o755))
	db, err := bolt.Open(filepath.Join(out, "trivy.db"), 0o644, nil)
	check(err)
	check(db.Update(func(tx *bolt.Tx) error {
		vulns, err := tx.CreateBucketIfNotExists([]byte("vulnerability"))
		check(err)
		// VendorSeverity: 1 LOW, 2 MEDIUM, 3 HIGH, 4 CRITICAL.
		put(vulns, "CVE-2099-0001", map[string]interface{}{"Title": "base-files: e2e fixture, fixed", "Severity": "HIGH", "VendorSeverity": map[string]int{"debian": 3, "nvd": 3}})
		put(vulns, "CVE-2099-0002", map[string]interface{}{"Title": "tzdata: e2e fixture, no fix", "Severity": "CRITICAL", "VendorSeverity": map[string]int{"debian": 4, "nvd": 4}})
		put(vulns, "CVE-2099-0003", map[string]interface{}{"Title": "example.com/fixture/vulnerable: e2e fixture", "Severity": "HIGH", "VendorSeverity": map[string]int{"ghsa": 3, "nvd": 3}})
		put(vulns, "CVE-2099-0004", map[string]interface{}{"Title": "example.com/fixture/unreached: e2e fixture, linked but not reachable", "Severity": "HIGH", "VendorSeverity": map[string]int{"ghsa": 3, "nvd": 3}})

		sources, err := tx.CreateBucketIfNotExists([]byte("data-source"))
		check(err)
		put(sources, debian, map[string]string{"ID": "debian", "Name": "Debian Security Tracker", "URL": "https://salsa.debian.org/security-tracker-team/security-tracker"})
		put(sources, golang, map[string]string{"ID": "ghsa", "Name": "GitHub Security Advisory Go", "URL": "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Ago"})

		deb, err := tx.CreateBucketIfNotExists([]byte(debian))
		check(err)
		baseFiles, err := deb.CreateBucketIfNotExists([]byte("base-files"))
		check(err)
		put(baseFiles, "CVE-2099-0001", map[string]string{"FixedVersion": "99.0"})
		tzdata, err := deb.CreateBucketIfNotExists([]byte("tzdata"))
		check(err)
		put(tzdata, "CVE-2099-0002", map[string]int{"Status": 2})

		goBucket, err := tx.CreateBucketIfNotExists([]byte(golang))
		check(err)
		mod, err := goBucket.CreateBucketIfNotExists([]byte("example.com/fixture/vulnerable"))
		check(err)
		put(mod, "CVE-2099-0003", map[string][]string{"VulnerableVersions": {"< 0.17.0"}, "PatchedVersions": {"0.17.0"}})
		unreached, err := goBucket.CreateBucketIfNotExists([]byte("example.com/fixture/unreached"))
		check(err)
		put(unreached, "CVE-2099-0004", map[string][]string{"VulnerableVersions": {"< 0.3.0"}, "PatchedVersions": {"0.3.0"}})
		return nil
	}))
	check(db.Close())
	// A fixed build date, so the DB is the same bytes on every run of the same recipe; NextUpdate far ahead.
	built := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	meta := map[string]interface{}{"Version": 2, "NextUpdate": "2999-01-01T00:00:00Z", "UpdatedAt": built.Format(time.RFC3339), "DownloadedAt": built.Format(time.RFC3339)}
	data, err := json.Marshal(meta)
	check(err)
	check(os.WriteFile(filepath.Join(out, "metadata.json"), data, 0o644))
}
