//! The site's files: the templates (the repository's, else the built-in ones) rendered with
//! the page, and written into the output folder with the manifest of what a build wrote.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{DEFAULT_DAYS, FEED_ENTRIES, PAST_SHOWN, TEMPLATE_DIR};
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
    Ok(publish(repo, &dir, &page)?.changed)
}

/// What [`publish()`] did.
pub struct Site {
    /// Every file of the site.
    pub files: Vec<PathBuf>,
    /// The same, by path inside the output folder.
    pub names: Vec<String>,
    /// Whether a file was written or removed (an unchanged site is left as it was).
    pub changed: bool,
}

/// Renders the page and writes it into `dir` (see [`Writer`]), one file at a time: a site of
/// thousands of incident pages is never held in memory whole.
pub fn publish(repo: &Repo, dir: &Path, page: &Page) -> Result<Site> {
    // The folder is made once the first file is rendered: a template refused (a symlink, a
    // syntax error) leaves no trace.
    let mut out: Option<Writer> = None;
    render(repo, page, &mut |rel, text| {
        let writer = match &mut out {
            Some(writer) => writer,
            None => out.insert(Writer::open(repo, dir)?),
        };
        writer.put(rel, &text)
    })?;
    match out {
        Some(writer) => writer.finish(),
        None => Writer::open(repo, dir)?.finish(),
    }
}

/// The files of the site, by path inside the output folder, in a fixed order, each handed to
/// `emit` as soon as it is rendered: first the incident and maintenance pages, then the files
/// that link to them (index, JSON, feeds, banner), so that a template failing half-way leaves
/// those as the last build wrote them.
fn render(repo: &Repo, page: &Page, emit: &mut dyn FnMut(String, String) -> Result<()>) -> Result<()> {
    use minijinja::{Value, context};
    let (index_name, index_src) = template(repo, "index.html.j2")?;
    let (inc_name, inc_src) = template(repo, "incident.html.j2")?;
    let (work_name, work_src) = template(repo, "maintenance.html.j2")?;
    let (banner_name, banner_src) = template(repo, "banner.html.j2")?;
    let (feed_name, feed_src) = template(repo, "feed.xml.j2")?;
    // Each incident page needs the page's name and state, not every other incident.
    let head = context! {
        name => page.name, description => page.description, state => page.state, time_zone => page.time_zone,
    };
    // The repeated templates are compiled before anything is written: one that does not parse
    // writes nothing.
    let incident_page = render::Compiled::new(&inc_name, &inc_src)?;
    let maintenance_page = render::Compiled::new(&work_name, &work_src)?;
    let feed_page = render::Compiled::new(&feed_name, &feed_src)?;
    for inc in page.open.iter().chain(&page.past) {
        let ctx = context! { page => head, incident => Value::from_serialize(inc) };
        emit(format!("incidents/{}.html", inc.id), incident_page.render(&ctx)?)?;
    }
    // A maintenance's page sits beside the incidents' (its id is an incident id).
    for m in &page.maintenances {
        let ctx = context! { page => head, maintenance => Value::from_serialize(m) };
        emit(format!("incidents/{}.html", m.id), maintenance_page.render(&ctx)?)?;
    }
    // The page becomes the engine's value once, for the index and the banner; its past
    // incidents are converted only as a template reads them (the index shows a few of thousands).
    let page_ctx = context! { page => page_value(page), past_shown => PAST_SHOWN };
    emit("index.html".to_string(), render::render(&index_name, &index_src, &page_ctx)?)?;
    let mut json = serde_json::to_string_pretty(&summary_json(page))?;
    json.push('\n');
    emit("status.json".to_string(), json)?;
    for (rel, value) in super::api::files(page) {
        let mut text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        emit(rel, text)?;
    }
    let everything: Vec<&PublicIncident> = page.open.iter().chain(&page.past).collect();
    let site_id = format!("urn:incident:status-page:{}", crate::ids::slug(&page.name));
    let whole =
        Feed { id: site_id.clone(), title: format!("{} status", page.name), path: "feed.atom".to_string() };
    let works: Vec<&PublicMaintenance> = page.maintenances.iter().collect();
    emit("feed.atom".to_string(), feed(&feed_page, &head, page, &whole, &everything, &works)?)?;
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
        let text = feed(&feed_page, &head, page, &this, &mine, &my_works)?;
        emit(this.path, text)?;
    }
    // The banner is empty when all is well, so a shop's page can include it unconditionally.
    let banner = if page.open.is_empty() {
        String::new()
    } else {
        render::render(&banner_name, &banner_src, &page_ctx)?
    };
    emit("banner.html".to_string(), banner)
}

/// The page for the index and the banner: every field as the engine's value, `past` a list
/// whose incidents are converted only when a template reads them.
fn page_value(page: &Page) -> minijinja::Value {
    use minijinja::Value;
    let whole = Value::from_serialize(page);
    let mut fields: BTreeMap<String, Value> = BTreeMap::new();
    if let Ok(keys) = whole.try_iter() {
        for key in keys {
            if let (Some(name), Ok(value)) = (key.as_str(), whole.get_item(&key)) {
                fields.insert(name.to_string(), value);
            }
        }
    }
    fields.insert("past".to_string(), Value::from_object(Lazy(page.past.clone())));
    Value::from(fields)
}

/// A list of incidents that the engine converts one at a time, as a template reads them.
#[derive(Debug)]
struct Lazy(Vec<PublicIncident>);

impl minijinja::value::Object for Lazy {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Seq
    }

    fn get_value(self: &std::sync::Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        self.0.get(key.as_usize()?).map(minijinja::Value::from_serialize)
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(self.0.len())
    }
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
    template: &render::Compiled,
    head: &minijinja::Value,
    page: &Page,
    this: &Feed,
    incidents: &[&PublicIncident],
    maintenances: &[&PublicMaintenance],
) -> Result<String> {
    use minijinja::{Value, context};
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
    entries.truncate(FEED_ENTRIES);
    let root = "../".repeat(this.path.matches('/').count());
    let ctx = context! {
        page => head,
        feed_id => this.id,
        feed_title => this.title,
        self_href => this.path.rsplit('/').next().unwrap_or(&this.path),
        root => root,
        updated => page.updated.as_ref().map_or(super::api::NEVER.to_string(), |s| s.iso.clone()),
        entries => entries.iter().map(|(id, name, u)| context! {
            incident => id, name => name, update => Value::from_serialize(u),
        }).collect::<Vec<_>>(),
    };
    template.render(&ctx)
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

/// Writes the site into `dir`, file by file as they come ([`Writer::put`]): only files that
/// changed are rewritten. Once every file is in ([`Writer::finish`]), incident pages no longer
/// on the page are removed: only pages a build wrote (listed in `.incident-status-page`) or
/// named after an incident of this repository, never a stranger's file (`--output` may be a
/// folder that holds other things); and so are other files the last build wrote and this one
/// did not (the feed of a service no longer listed).
///
/// `--output` may name a folder outside the repository (the user's choice); inside it (the
/// default `status-page/` included) no symlink is followed, so a planted
/// `status-page -> /elsewhere` or `status-page/index.html -> ~/.bashrc` is refused.
struct Writer<'r> {
    repo: &'r Repo,
    dir: PathBuf,
    /// Every file written or found unchanged, by path inside `dir`, in order.
    files: Vec<String>,
    changed: bool,
}

impl<'r> Writer<'r> {
    pub fn open(repo: &'r Repo, dir: &Path) -> Result<Writer<'r>> {
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
        Ok(Writer { repo, dir: dir.to_path_buf(), files: Vec::new(), changed: false })
    }

    /// Writes one file (its folders made as needed), unless it already holds `text`.
    pub fn put(&mut self, rel: String, text: &str) -> Result<()> {
        let path = self.dir.join(&rel);
        crate::fsutil::no_symlinks(&self.repo.root, &path)?;
        if let Some(parent) = path.parent().filter(|p| !p.is_dir()) {
            std::fs::create_dir_all(parent)
                .map_err(|source| FileError::CannotCreate { path: parent.to_path_buf(), source })?;
        }
        if crate::fsutil::read(&path).ok().as_deref() != Some(text.as_bytes()) {
            crate::fsutil::replace(&path, text.as_bytes()).map_err(Error::io(&path))?;
            self.changed = true;
        }
        self.files.push(rel);
        Ok(())
    }

    /// Removes what the last build wrote and this one did not, and lists this build's files.
    pub fn finish(mut self) -> Result<Site> {
        let (repo, dir) = (self.repo, self.dir.as_path());
        let keep: std::collections::BTreeSet<&str> = self.files.iter().map(String::as_str).collect();
        let manifest = dir.join(MANIFEST);
        crate::fsutil::no_symlinks(&repo.root, &manifest)?;
        let before = crate::fsutil::read(&manifest).unwrap_or_default();
        let built_before: std::collections::BTreeSet<&str> =
            std::str::from_utf8(&before).unwrap_or_default().lines().collect();
        let ids: std::collections::BTreeSet<String> = repo.ids().into_iter().collect();
        let pages = dir.join("incidents");
        for entry in std::fs::read_dir(&pages).map_err(Error::io(&pages))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("incidents/{name}");
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            let ours = built_before.contains(rel.as_str())
                || name.strip_suffix(".html").is_some_and(|id| ids.contains(id));
            if is_file && name.ends_with(".html") && ours && !keep.contains(rel.as_str()) {
                std::fs::remove_file(entry.path()).map_err(Error::io(entry.path()))?;
                self.changed = true;
            }
        }
        // The list is a file in the folder, so a line that would leave it is ignored.
        for rel in built_before.iter().filter(|rel| !keep.contains(*rel) && !rel.starts_with("incidents/")) {
            let inside = Path::new(rel).components().all(|c| matches!(c, std::path::Component::Normal(_)));
            let path = dir.join(rel);
            if inside
                && crate::fsutil::no_symlinks(&repo.root, &path).is_ok()
                && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file())
            {
                std::fs::remove_file(&path).map_err(Error::io(&path))?;
                self.changed = true;
            }
        }
        let listed: String = self.files.iter().map(|rel| format!("{rel}\n")).collect();
        if before != listed.as_bytes() {
            crate::fsutil::replace(&manifest, listed.as_bytes()).map_err(Error::io(&manifest))?;
        }
        let files = self.files.iter().map(|rel| dir.join(rel)).collect();
        Ok(Site { files, names: self.files, changed: self.changed })
    }
}
