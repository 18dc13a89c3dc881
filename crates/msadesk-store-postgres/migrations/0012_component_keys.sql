-- The keys a vulnerability's matching data can name, per SBOM component, so that an assessment
-- loads only the components a vulnerability can match instead of every current one (issue 7):
-- package_key is the purl's OSV ecosystem and package name without version or qualifiers
-- (`npm/lodash`), cpe_key the CPE's `vendor:product` (msadesk_core::vuln::keys computes both; NULL
-- when the purl or CPE cannot be read). The rows present when this migration runs get their keys
-- from the migration code right after this file, new rows from the SBOM import.
ALTER TABLE sbom_components ADD COLUMN package_key TEXT;
ALTER TABLE sbom_components ADD COLUMN cpe_key TEXT;
CREATE INDEX sbom_components_by_package ON sbom_components (package_key, sbom_id);
CREATE INDEX sbom_components_by_cpe ON sbom_components (cpe_key, sbom_id);
