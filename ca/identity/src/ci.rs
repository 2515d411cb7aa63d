//! CI identities: GitHub Actions and GitLab CI claims → URI SAN and the Sigstore build
//! extensions, as Fulcio's ci-provider templates (`config/identity/config.yaml`,
//! `docs/oid-info.md`; PROTOCOL.md §3.3 table) produce them.
//!
//! Every claim a template uses is required (Fulcio fails on a missing template key) and
//! must be non-empty here: an empty `repository` would make a certificate claim the
//! source `https://github.com/`. The optional claims are those Fulcio gives an empty
//! default (`environment`) or treats as optional (GitLab `ci_config_sha`,
//! `project_visibility`); they are omitted when absent or empty.

use signet_ca_core::san::FulcioExtension;

use crate::claims::Claims;
use crate::mapping::{extension, uri_san, CiSummary, IdentityError};
use crate::syntax;

/// Fulcio's default `url` for GitHub (`default-template-values`).
const GITHUB_URL: &str = "https://github.com";

/// What a CI token maps to (issuer and subject extensions are added by the caller).
pub(crate) struct CiIdentity {
    pub(crate) san: String,
    pub(crate) extensions: Vec<FulcioExtension>,
    pub(crate) summary: CiSummary,
}

/// GitHub Actions (`github-workflow`): SAN `{url}/{job_workflow_ref}` with `url` the
/// `server_url` claim (GitHub Enterprise Server) or `https://github.com`; extensions
/// `.2`–`.6` and `.9`–`.23`.
pub(crate) fn github(claims: &Claims<'_>) -> Result<CiIdentity, IdentityError> {
    let url = match claims.optional_text("server_url")? {
        None => GITHUB_URL.to_owned(),
        Some(value) => {
            syntax::check_origin(&value).map_err(|problem| IdentityError::InvalidServerUrl {
                value: value.clone(),
                problem,
            })?;
            value.strip_suffix('/').unwrap_or(&value).to_owned()
        }
    };
    let job_workflow_ref = claims.text("job_workflow_ref")?;
    let san = uri_san("job_workflow_ref", format!("{url}/{job_workflow_ref}"))?;
    let event_name = claims.text("event_name")?;
    let sha = claims.text("sha")?;
    let workflow = claims.text("workflow")?;
    let repository = claims.text("repository")?;
    let git_ref = claims.text("ref")?;
    let job_workflow_sha = claims.text("job_workflow_sha")?;
    let runner_environment = claims.text("runner_environment")?;
    let repository_id = claims.text("repository_id")?;
    let repository_owner = claims.text("repository_owner")?;
    let repository_owner_id = claims.text("repository_owner_id")?;
    let workflow_ref = claims.text("workflow_ref")?;
    let workflow_sha = claims.text("workflow_sha")?;
    let run_id = claims.text("run_id")?;
    let run_attempt = claims.text("run_attempt")?;
    let repository_visibility = claims.text("repository_visibility")?;
    let environment = claims.optional_text("environment")?;

    let mut extensions = vec![
        extension(2, event_name.clone()), // GitHub Workflow Trigger (deprecated)
        extension(3, sha.clone()),        // GitHub Workflow SHA (deprecated)
        extension(4, workflow),           // GitHub Workflow Name (deprecated)
        extension(5, repository.clone()), // GitHub Workflow Repository (deprecated)
        extension(6, git_ref.clone()),    // GitHub Workflow Ref (deprecated)
        extension(9, san.clone()),        // Build Signer URI
        extension(10, job_workflow_sha),  // Build Signer Digest
        extension(11, runner_environment), // Runner Environment
        extension(12, format!("{url}/{repository}")), // Source Repository URI
        extension(13, sha),               // Source Repository Digest
        extension(14, git_ref.clone()),   // Source Repository Ref
        extension(15, repository_id),     // Source Repository Identifier
        extension(16, format!("{url}/{repository_owner}")), // Source Repository Owner URI
        extension(17, repository_owner_id), // Source Repository Owner Identifier
        extension(18, format!("{url}/{workflow_ref}")), // Build Config URI
        extension(19, workflow_sha),      // Build Config Digest
        extension(20, event_name),        // Build Trigger
        extension(
            21,
            format!("{url}/{repository}/actions/runs/{run_id}/attempts/{run_attempt}"),
        ), // Run Invocation URI
        extension(22, repository_visibility), // Source Repository Visibility At Signing
    ];
    if let Some(env) = &environment {
        extensions.push(extension(23, env.clone())); // Deployment Environment
    }
    Ok(CiIdentity {
        san,
        extensions,
        summary: CiSummary {
            repository,
            git_ref,
            workflow: workflow_ref,
            environment,
        },
    })
}

/// GitLab CI (`gitlab-pipeline`): SAN `https://{ci_config_ref_uri}`; `.9`–`.23`.
///
/// The instance URL is the token's issuer (`https://gitlab.com` for gitlab.com, the
/// instance itself for self-managed GitLab). Fulcio's template instead always uses
/// `https://gitlab.com`, which is wrong for self-managed instances; both agree for
/// gitlab.com.
pub(crate) fn gitlab(iss: &str, claims: &Claims<'_>) -> Result<CiIdentity, IdentityError> {
    let url = iss.strip_suffix('/').unwrap_or(iss);
    let ci_config_ref_uri = claims.text("ci_config_ref_uri")?;
    let san = uri_san("ci_config_ref_uri", format!("https://{ci_config_ref_uri}"))?;
    let project_path = claims.text("project_path")?;
    let namespace_path = claims.text("namespace_path")?;
    let namespace_id = claims.text("namespace_id")?;
    let project_id = claims.text("project_id")?;
    let sha = claims.text("sha")?;
    let short_ref = claims.text("ref")?;
    let ref_type = claims.text("ref_type")?;
    let pipeline_source = claims.text("pipeline_source")?;
    let job_id = claims.text("job_id")?;
    let runner_environment = claims.text("runner_environment")?;
    let ci_config_sha = claims.optional_text("ci_config_sha")?;
    let project_visibility = claims.optional_text("project_visibility")?;
    let environment = claims.optional_text("environment")?;

    // Template: refs/{{if eq .ref_type "branch"}}heads/{{ else }}tags/{{end}}{{ .ref }};
    // anything but branch or tag is refused (as Fulcio's gitlabcom principal does).
    let git_ref = match ref_type.as_str() {
        "branch" => format!("refs/heads/{short_ref}"),
        "tag" => format!("refs/tags/{short_ref}"),
        _ => return Err(IdentityError::UnexpectedRefType { ref_type }),
    };

    let mut extensions = vec![
        extension(9, san.clone()),                        // Build Signer URI
        extension(11, runner_environment),                // Runner Environment
        extension(12, format!("{url}/{project_path}")),   // Source Repository URI
        extension(13, sha),                               // Source Repository Digest
        extension(14, git_ref.clone()),                   // Source Repository Ref
        extension(15, project_id),                        // Source Repository Identifier
        extension(16, format!("{url}/{namespace_path}")), // Source Repository Owner URI
        extension(17, namespace_id),                      // Source Repository Owner Identifier
        extension(18, san.clone()),                       // Build Config URI
        extension(20, pipeline_source),                   // Build Trigger
        extension(21, format!("{url}/{project_path}/-/jobs/{job_id}")), // Run Invocation URI
    ];
    if let Some(digest) = &ci_config_sha {
        extensions.push(extension(10, digest.clone())); // Build Signer Digest
        extensions.push(extension(19, digest.clone())); // Build Config Digest
    }
    if let Some(visibility) = project_visibility {
        extensions.push(extension(22, visibility)); // Source Repository Visibility At Signing
    }
    if let Some(env) = &environment {
        extensions.push(extension(23, env.clone())); // Deployment Environment
    }
    Ok(CiIdentity {
        summary: CiSummary {
            repository: project_path,
            git_ref,
            workflow: ci_config_ref_uri,
            environment,
        },
        san,
        extensions,
    })
}
