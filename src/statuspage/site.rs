//! The site's files: the templates (the repository's, else the built-in ones) rendered with
//! the page, and written into the output folder with the manifest of what a build wrote.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{DEFAULT_DAYS, PAST_SHOWN, TEMPLATE_DIR};
use super::{Page, PublicIncident, PublicMaintenance, PublicUpdate, build, summary_json};
use crate::error::{Error, FileError, Result};
use crate::render;
use crate::repo::Repo;
use crate::starter;

/// A template: the repository's copy under `templates/status/`, else the built-in one.
fn template(repo: &Repo, name: &str) -> Result<(String, String)> {
    let path = repo.root.join(TEMPLATE_DIR).join(name);
    // Never through a symlink: a linked template would publish what it points at.
    match crate::fsutil::read_text(&repo.root, &path)? {
        Some(text) => Ok((format!("{TEMPLATE_DIR}/{name}"), text)),
        None => {
            let text = starter::status_template(name).unwrap_or_default();
            Ok((format!("(built-in) {TEMPLATE_DIR}/{name}"), text.to_string()))
        }
    }
}

/// Builds the page again into the repository's `status-page/` when one was built there
/// (its `status.json` exists), over the same number of days, so that what `sync` commits
/// and pushes is the page of the logs it commits. Returns whether a file changed.
pub fn rerender_in_repo(repo: &Repo) -> Result<bool> {
    let dir = repo.status_page_dir();
    let summary = dir.join("status.json");
    crate::fsutil::no_symlinks(&repo.root, &summary)?;
    if !summary.is_file() {
        return Ok(false);
    }
    let days = crate::fsutil::read(&summary)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|v| v["page"]["period"]["days"].as_u64())
        .and_then(|d| u32::try_from(d).ok())
        .filter(|d| (1..=3650).contains(d))
        .unwrap_or(DEFAULT_DAYS);
    // Unreadable lines are for `status` and `doctor` to name; the page leaves them out. A log
    // that cannot be read at all is an error: the caller keeps the page built before.
    let page = build(repo, days, false, &mut Vec::new())?;
    let files = render(repo, &page)?;
    Ok(write(repo, &dir, &files)?.changed)
}

/// What [`write()`] did.
pub struct Site {
    /// Every file of the site.
    pub files: Vec<PathBuf>,
    /// Whether a file was written or removed (an unchanged site is left as it was).
    pub changed: bool,
}

/// The files of the site, by path inside the output folder, in a fixed order.
pub fn render(repo: &Repo, page: &Page) -> Result<Vec<(String, String)>> {
    let (index_name, index_src) = template(repo, "index.html.j2")?;
    let (inc_name, inc_src) = template(repo, "incident.html.j2")?;
    let (work_name, work_src) = template(repo, "maintenance.html.j2")?;
    let (banner_name, banner_src) = template(repo, "banner.html.j2")?;
    let (feed_name, feed_src) = template(repo, "feed.xml.j2")?;
    let page_ctx = serde_json::json!({ "page": page, "past_shown": PAST_SHOWN });
    let mut files = vec![("index.html".to_string(), render::render(&index_name, &index_src, &page_ctx)?)];
    // Each incident page needs the page's name and state, not every other incident.
    let head = serde_json::json!({
        "name": page.name, "description": page.description, "state": page.state, "time_zone": page.time_zone,
    });
    for inc in page.open.iter().chain(&page.past) {
        let ctx = serde_json::json!({ "page": head, "incident": inc });
        files.push((format!("incidents/{}.html", inc.id), render::render(&inc_name, &inc_src, &ctx)?));
    }
    // A maintenance's page sits beside the incidents' (its id is an incident id).
    for m in &page.maintenances {
        let ctx = serde_json::json!({ "page": head, "maintenance": m });
        files.push((format!("incidents/{}.html", m.id), render::render(&work_name, &work_src, &ctx)?));
    }
    let mut json = serde_json::to_string_pretty(&summary_json(page))?;
    json.push('\n');
    files.push(("status.json".to_string(), json));
    for (rel, value) in super::api::files(page) {
        let mut text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        files.push((rel, text));
    }
    let everything: Vec<&PublicIncident> = page.open.iter().chain(&page.past).collect();
    let site_id = format!("urn:incident:status-page:{}", crate::ids::slug(&page.name));
    let whole =
        Feed { id: site_id.clone(), title: format!("{} status", page.name), path: "feed.atom".to_string() };
    let works: Vec<&PublicMaintenance> = page.maintenances.iter().collect();
    files.push((
        "feed.atom".to_string(),
        feed(&feed_name, &feed_src, &head, page, &whole, &everything, &works)?,
    ));
    for (service, file) in feed_files(page) {
        let mine: Vec<&PublicIncident> =
            everything.iter().copied().filter(|i| i.service_ids.contains(&service.id)).collect();
        let my_works: Vec<&PublicMaintenance> =
            works.iter().copied().filter(|m| m.service_ids.contains(&service.id)).collect();
        let this = Feed {
            id: format!("{site_id}:service:{file}"),
            title: format!("{} status: {}", page.name, service.name),
            path: format!("feeds/{file}.atom"),
        };
        files.push((this.path.clone(), feed(&feed_name, &feed_src, &head, page, &this, &mine, &my_works)?));
    }
    // The banner is empty when all is well, so a shop's page can include it unconditionally.
    let banner = if page.open.is_empty() {
        String::new()
    } else {
        render::render(&banner_name, &banner_src, &page_ctx)?
    };
    files.push(("banner.html".to_string(), banner));
    Ok(files)
}

/// What tells one feed from another: its Atom id, its title and its path in the site.
struct Feed {
    id: String,
    title: String,
    path: String,
}

/// One Atom feed: an entry per public update of `incidents`, newest first. Its links are
/// relative to where the feed sits (`feeds/` is one folder down).
fn feed(
    name: &str,
    source: &str,
    head: &serde_json::Value,
    page: &Page,
    this: &Feed,
    incidents: &[&PublicIncident],
    maintenances: &[&PublicMaintenance],
) -> Result<String> {
    // Each entry: the record's id and name, and the update.
    let mut entries: Vec<(&str, &str, &PublicUpdate)> = incidents
        .iter()
        .flat_map(|i| i.updates.iter().map(move |u| (i.id.as_str(), i.name.as_str(), u)))
        .chain(
            maintenances
                .iter()
                .flat_map(|m| m.updates.iter().map(move |u| (m.id.as_str(), m.name.as_str(), u))),
        )
        .collect();
    entries.sort_by(|a, b| b.2.at.iso.cmp(&a.2.at.iso).then_with(|| a.2.id.cmp(&b.2.id)));
    let root = "../".repeat(this.path.matches('/').count());
    let ctx = serde_json::json!({
        "page": head,
        "feed_id": this.id,
        "feed_title": this.title,
        "self_href": this.path.rsplit('/').next().unwrap_or(&this.path),
        "root": root,
        "updated": page.updated.as_ref().map_or(super::api::NEVER.to_string(), |s| s.iso.clone()),
        "entries": entries.iter().map(|(id, name, u)| serde_json::json!({
            "incident": id, "name": name, "update": u,
        })).collect::<Vec<_>>(),
    });
    render::render(name, source, &ctx)
}

/// Each service with the file name of its feed (`feeds/<name>.atom`): its id when the id is
/// a safe file name, else a slug of it, made unique; ids come from other clones' logs when
/// `incident.yaml` declares no services, so none is trusted as a path.
fn feed_files(page: &Page) -> Vec<(&super::Component, String)> {
    let mut taken = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for c in &page.components {
        let base = if crate::ids::is_valid(&c.id) { c.id.clone() } else { crate::ids::slug(&c.id) };
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert(name.clone()) {
            name = format!("{base}-{n}");
            n += 1;
        }
        out.push((c, name));
    }
    out
}

/// The list of the files the last build wrote, beside them: what a later build may remove.
const MANIFEST: &str = ".incident-status-page";

/// Writes the site into `dir`: only files that changed are rewritten, and incident pages no
/// longer on the page are removed: only pages a build wrote (listed in `.incident-status-page`) or named
/// after an incident of this repository, never a stranger's file (`--output` may be a folder
/// that holds other things). Returns every file's path, and whether anything changed.
///
/// `--output` may name a folder outside the repository (the user's choice); inside it (the
/// default `status-page/` included) no symlink is followed, so a planted
/// `status-page -> /elsewhere` or `status-page/index.html -> ~/.bashrc` is refused.
pub fn write(repo: &Repo, dir: &Path, files: &[(String, String)]) -> Result<Site> {
    crate::fsutil::no_symlinks(&repo.root, dir)?;
    std::fs::create_dir_all(dir)
        .map_err(|source| FileError::CannotCreate { path: dir.to_path_buf(), source })?;
    let here = std::fs::canonicalize(dir).map_err(Error::io(dir))?;
    let root = std::fs::canonicalize(&repo.root).unwrap_or_else(|_| repo.root.clone());
    if here == root || here.join(crate::config::FILE).exists() {
        return Err(FileError::StatusPageOutput { path: dir.to_path_buf() }.into());
    }
    let pages = dir.join("incidents");
    crate::fsutil::no_symlinks(&repo.root, &pages)?;
    std::fs::create_dir_all(&pages).map_err(Error::io(&pages))?;
    let mut written = Vec::new();
    let mut changed = false;
    let keep: BTreeMap<&str, ()> = files.iter().map(|(rel, _)| (rel.as_str(), ())).collect();
    let manifest = dir.join(MANIFEST);
    crate::fsutil::no_symlinks(&repo.root, &manifest)?;
    let before = crate::fsutil::read(&manifest).unwrap_or_default();
    let built_before: std::collections::BTreeSet<&str> =
        std::str::from_utf8(&before).unwrap_or_default().lines().collect();
    let ids: std::collections::BTreeSet<String> = repo.ids().into_iter().collect();
    for entry in std::fs::read_dir(&pages).map_err(Error::io(&pages))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = format!("incidents/{name}");
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        let ours = built_before.contains(rel.as_str())
            || name.strip_suffix(".html").is_some_and(|id| ids.contains(id));
        if is_file && name.ends_with(".html") && ours && !keep.contains_key(rel.as_str()) {
            std::fs::remove_file(entry.path()).map_err(Error::io(entry.path()))?;
            changed = true;
        }
    }
    // Other files a build wrote before and this one does not (the feed of a service no longer
    // listed): the list is a file in the folder, so a line that would leave it is ignored.
    for rel in built_before.iter().filter(|rel| !keep.contains_key(*rel) && !rel.starts_with("incidents/")) {
        let inside = Path::new(rel).components().all(|c| matches!(c, std::path::Component::Normal(_)));
        let path = dir.join(rel);
        if inside
            && crate::fsutil::no_symlinks(&repo.root, &path).is_ok()
            && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file())
        {
            std::fs::remove_file(&path).map_err(Error::io(&path))?;
            changed = true;
        }
    }
    for (rel, text) in files {
        let path = dir.join(rel);
        crate::fsutil::no_symlinks(&repo.root, &path)?;
        if let Some(parent) = path.parent().filter(|p| !p.is_dir()) {
            std::fs::create_dir_all(parent)
                .map_err(|source| FileError::CannotCreate { path: parent.to_path_buf(), source })?;
        }
        if crate::fsutil::read(&path).ok().as_deref() != Some(text.as_bytes()) {
            crate::fsutil::replace(&path, text.as_bytes()).map_err(Error::io(&path))?;
            changed = true;
        }
        written.push(path);
    }
    let listed: String = files.iter().map(|(rel, _)| format!("{rel}\n")).collect();
    if before != listed.as_bytes() {
        crate::fsutil::replace(&manifest, listed.as_bytes()).map_err(Error::io(&manifest))?;
    }
    Ok(Site { files: written, changed })
}
