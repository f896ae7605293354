//! The starter repository that `incident init` writes and `demo` replays into, embedded in
//! the binary so a fresh install needs no other files.

pub const CONFIG: &str = include_str!("../config/incident.yaml");
pub const POSTMORTEM_TEMPLATE: &str = include_str!("../templates/postmortem.md.j2");

/// Starter runbooks: one per cause in the founding scenario (SPEC §1).
pub const RUNBOOKS: [(&str, &str); 8] = [
    ("server-overload.yaml", include_str!("../runbooks/server-overload.yaml")),
    ("bad-deploy.yaml", include_str!("../runbooks/bad-deploy.yaml")),
    ("database.yaml", include_str!("../runbooks/database.yaml")),
    ("dns-failure.yaml", include_str!("../runbooks/dns-failure.yaml")),
    ("ddos.yaml", include_str!("../runbooks/ddos.yaml")),
    ("network.yaml", include_str!("../runbooks/network.yaml")),
    ("third-party.yaml", include_str!("../runbooks/third-party.yaml")),
    ("hardware-power.yaml", include_str!("../runbooks/hardware-power.yaml")),
];

/// Every starter file, by its path inside the repository.
pub fn files() -> Vec<(String, &'static str)> {
    let mut out = vec![
        ("incident.yaml".to_string(), CONFIG),
        ("templates/postmortem.md.j2".to_string(), POSTMORTEM_TEMPLATE),
    ];
    out.extend(RUNBOOKS.iter().map(|(name, text)| (format!("runbooks/{name}"), *text)));
    out
}
