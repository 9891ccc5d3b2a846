//! `volumes [SERVICE...]`: the project's volumes as docker compose v5 lists them (docker's
//! volume formatter: `DRIVER  VOLUME NAME`, `--format json` one object a line, templates, `-q`).

use anyhow::Result;
use serde_json::Value;

use super::args::VolumesArgs;
use super::template::{render_format, FormatRow};
use super::{context, exit, read, GlobalArgs};
use rcompose::app::query;
use rcompose::app::types::engine::VolumeDetails;

/// docker's `volumeContext`: its fields in JSON order, with their table headers.
const VOLUME_FIELDS: [(&str, Option<&str>); 10] = [
    ("Availability", Some("AVAILABILITY")),
    ("Driver", Some("DRIVER")),
    ("Group", Some("GROUP")),
    ("Labels", Some("LABELS")),
    ("Links", Some("LINKS")),
    ("Mountpoint", Some("MOUNTPOINT")),
    ("Name", Some("VOLUME NAME")),
    ("Scope", Some("SCOPE")),
    ("Size", Some("SIZE")),
    ("Status", Some("STATUS")),
];

/// docker's default volume table.
const DEFAULT_TABLE: &str = "table {{.Driver}}\t{{.Name}}";

/// A volume as docker's formatter shows it to a template.
pub struct VolumeView<'a>(pub &'a VolumeDetails);

impl FormatRow for VolumeView<'_> {
    const FIELDS: &'static [(&'static str, Option<&'static str>)] = &VOLUME_FIELDS;
    const CONTEXT: &'static str = "*formatter.volumeContext";

    fn field(&self, name: &str) -> Option<Value> {
        let v = self.0;
        let text = match name {
            "Driver" => v.driver.clone(),
            "Labels" => v
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
            "Mountpoint" => v.mountpoint.clone(),
            "Name" => v.name.clone(),
            "Scope" => v.scope.clone(),
            // Cluster volumes and usage data: docker compose lists neither.
            "Availability" | "Group" | "Links" | "Size" | "Status" => "N/A".to_string(),
            _ => return None,
        };
        Some(Value::String(text))
    }

    fn label(&self, key: &str) -> &str {
        self.0.labels.get(key).map(String::as_str).unwrap_or("")
    }
}

/// The `volumes` output for `list` (in the engine's order).
pub fn render(list: &[VolumeDetails], args: &VolumesArgs) -> Result<String, String> {
    if args.quiet {
        return Ok(list.iter().map(|v| format!("{}\n", v.name)).collect());
    }
    let views: Vec<VolumeView> = list.iter().map(VolumeView).collect();
    render_format(&args.format, DEFAULT_TABLE, &views)
}

/// `volumes`: lists the project's volumes (those mounted by `SERVICE...`'s containers when
/// services are named).
pub async fn volumes(global: &GlobalArgs, args: VolumesArgs) -> Result<i32> {
    let project = read::project_name(global, &args.services)?;
    let engine = context::connect().await?;
    let list = query::volumes(engine.as_ref(), &project, &args.services).await?;
    let text = render(&list, &args).map_err(|e| anyhow::anyhow!(e))?;
    super::runtime::print_stdout(&text);
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(name: &str) -> VolumeDetails {
        VolumeDetails {
            name: name.to_string(),
            driver: "local".to_string(),
            labels: [("com.docker.compose.volume".to_string(), "data".to_string())].into(),
            mountpoint: format!("/var/lib/docker/volumes/{name}/_data"),
            scope: "local".to_string(),
            ..Default::default()
        }
    }

    fn args(format: &str, quiet: bool) -> VolumesArgs {
        VolumesArgs {
            quiet,
            format: format.to_string(),
            services: Vec::new(),
        }
    }

    #[test]
    fn volumes_table_json_and_templates_as_docker_compose_v5() {
        let list = [volume("p_data"), volume("p_other")];
        assert_eq!(
            render(&list, &args("table", false)).unwrap_or_default(),
            "DRIVER    VOLUME NAME\nlocal     p_data\nlocal     p_other\n"
        );
        assert_eq!(
            render(&list, &args("table", true)).unwrap_or_default(),
            "p_data\np_other\n"
        );
        let json = render(&list[..1], &args("json", false)).unwrap_or_default();
        assert_eq!(
            json,
            "{\"Availability\":\"N/A\",\"Driver\":\"local\",\"Group\":\"N/A\",\
             \"Labels\":\"com.docker.compose.volume=data\",\"Links\":\"N/A\",\
             \"Mountpoint\":\"/var/lib/docker/volumes/p_data/_data\",\"Name\":\"p_data\",\
             \"Scope\":\"local\",\"Size\":\"N/A\",\"Status\":\"N/A\"}\n"
        );
        assert_eq!(
            render(&list[..1], &args("table {{.Name}}\\t{{.Scope}}", false)).unwrap_or_default(),
            "VOLUME NAME   SCOPE\np_data        local\n"
        );
        assert_eq!(
            render(
                &list[..1],
                &args(r#"{{.Label "com.docker.compose.volume"}}"#, false)
            )
            .unwrap_or_default(),
            "data\n"
        );
        let err = render(&list, &args("{{.Nope}}", false)).unwrap_err();
        assert!(err.contains("can't evaluate field Nope"), "{err}");
    }
}
