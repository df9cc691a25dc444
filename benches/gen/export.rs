//! BENCH SUPPORT: write a [`Plan`] as an export of live resources, in one of three layouts:
//! REST list pages per resource type (1,000 items a page, `nextLink` on all but the last),
//! one Azure Resource Graph result holding everything, or az CLI list output per type
//! (flattened properties, pretty-printed). Written as a stream: a 100k-VM tenant never sits
//! in memory as one tree.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{rest, Plan, Written};

/// REST list pages hold this many resources.
const PAGE: usize = 1000;
/// Resource Graph files hold this many rows: the API pages by 1,000 rows (`$skipToken`); a
/// client that stitches pages writes big files, but not one of half a gigabyte.
const GRAPH_PAGE: usize = 50_000;

/// How an export is laid out on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `virtualMachines.page0001.json`...: `{"value": [...], "nextLink": ...}`, compact, as the
    /// API returns them.
    RestPages,
    /// `resource-graph.page0001.json`...: `{"data": [...], "count", "$skipToken"}` of 50,000
    /// rows of every type, compact, as the Resource Graph API returns it (one file up to 10k VMs).
    ResourceGraph,
    /// `az-vm-list.json`...: bare arrays of flattened resources, pretty, as `az ... -o json`.
    AzCli,
    /// `resource-graph.page0001.json`: as [`Layout::ResourceGraph`], every row in one file
    /// (a client that stitched all its pages; 426 MB at 100k VMs).
    ResourceGraphOneFile,
}

impl Layout {
    /// Name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::RestPages => "rest-pages",
            Self::ResourceGraph => "resource-graph",
            Self::AzCli => "az-cli",
            Self::ResourceGraphOneFile => "resource-graph-one-file",
        }
    }

    /// Resource Graph rows, in pages or in one file.
    fn is_graph(self) -> bool {
        matches!(self, Self::ResourceGraph | Self::ResourceGraphOneFile)
    }
}

/// One JSON list being written: `head`, items separated by commas, `tail`.
struct ListFile {
    out: BufWriter<File>,
    items: usize,
    page: usize,
}

struct Sink {
    layout: Layout,
    dir: PathBuf,
    open: BTreeMap<&'static str, ListFile>,
    written: Written,
}

impl Sink {
    fn file_name(&self, kind: &str, page: usize) -> String {
        match self.layout {
            Layout::RestPages => format!("{kind}.page{page:04}.json"),
            Layout::ResourceGraph | Layout::ResourceGraphOneFile => {
                format!("resource-graph.page{page:04}.json")
            }
            Layout::AzCli => format!("az-{kind}-list.json"),
        }
    }

    fn head(&self) -> &'static [u8] {
        match self.layout {
            Layout::RestPages => b"{\"value\":[",
            Layout::ResourceGraph | Layout::ResourceGraphOneFile => b"{\"data\":[",
            Layout::AzCli => b"[\n",
        }
    }

    fn push(&mut self, kind: &'static str, value: Value) {
        let kind = if self.layout.is_graph() { "all" } else { kind };
        if !self.open.contains_key(kind) {
            self.start(kind, 1);
        }
        let value = match self.layout {
            Layout::RestPages => value,
            Layout::ResourceGraph | Layout::ResourceGraphOneFile => graph_row(value),
            Layout::AzCli => az_flat(value),
        };
        let pretty = self.layout == Layout::AzCli;
        let file = self.open.get_mut(kind).unwrap();
        if file.items > 0 {
            file.out
                .write_all(if pretty { b",\n" } else { b"," })
                .unwrap();
        }
        if pretty {
            serde_json::to_writer_pretty(&mut file.out, &value).unwrap();
        } else {
            serde_json::to_writer(&mut file.out, &value).unwrap();
        }
        file.items += 1;
        let full = match self.layout {
            Layout::RestPages => file.items == PAGE,
            Layout::ResourceGraph => file.items == GRAPH_PAGE,
            Layout::AzCli | Layout::ResourceGraphOneFile => false,
        };
        if full {
            let page = file.page;
            let next = format!(
                "https://management.azure.com/providers/{kind}?api-version=2023-09-01&$skiptoken={page}"
            );
            self.finish(kind, Some(&next));
            self.start(kind, page + 1);
        }
    }

    fn start(&mut self, kind: &'static str, page: usize) {
        let path = self.dir.join(self.file_name(kind, page));
        let mut out = BufWriter::new(File::create(path).unwrap());
        out.write_all(self.head()).unwrap();
        self.open.insert(
            kind,
            ListFile {
                out,
                items: 0,
                page,
            },
        );
        self.written.files += 1;
    }

    fn finish(&mut self, kind: &str, next: Option<&str>) {
        let mut file = self.open.remove(kind).unwrap();
        let tail = match self.layout {
            Layout::RestPages => match next {
                Some(link) => format!("],\"nextLink\":\"{link}\"}}"),
                None => "]}".to_owned(),
            },
            Layout::ResourceGraph | Layout::ResourceGraphOneFile => {
                let skip = next.map_or(String::new(), |_| {
                    format!(",\"$skipToken\":\"page{}\"", file.page)
                });
                format!(
                    "],\"count\":{},\"facets\":[],\"resultTruncated\":\"false\"{skip}}}",
                    file.items
                )
            }
            Layout::AzCli => "\n]\n".to_owned(),
        };
        file.out.write_all(tail.as_bytes()).unwrap();
        let inner = file.out.into_inner().unwrap();
        self.written.bytes += inner.metadata().unwrap().len();
    }
}

/// Resource Graph keeps `properties` nested, lower-cases `type` and adds the scope columns.
fn graph_row(value: Value) -> Value {
    let Value::Object(mut map) = value else {
        return value;
    };
    let id = map["id"].as_str().unwrap_or_default().to_owned();
    let mut parts = id.split('/');
    let sub = parts.nth(2).unwrap_or_default().to_owned();
    let rg = parts.nth(1).unwrap_or_default().to_ascii_lowercase();
    let kind = map["type"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    map.insert("type".into(), Value::String(kind));
    map.insert(
        "tenantId".into(),
        "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
    );
    map.insert("resourceGroup".into(), Value::String(rg));
    map.insert("subscriptionId".into(), Value::String(sub));
    map.entry("kind").or_insert_with(|| "".into());
    map.insert("managedBy".into(), "".into());
    map.entry("tags").or_insert(Value::Null);
    map.insert("identity".into(), Value::Null);
    map.insert("zones".into(), Value::Null);
    Value::Object(map)
}

/// az CLI lifts `properties` into the resource (recursively: sub-resources too) and adds
/// `resourceGroup`.
fn az_flat(value: Value) -> Value {
    fn lift(value: Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("properties", Value::Object(inner)) => {
                            for (ik, iv) in inner {
                                out.insert(ik, lift(iv));
                            }
                        }
                        (_, v) => {
                            out.insert(k, lift(v));
                        }
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.into_iter().map(lift).collect()),
            other => other,
        }
    }
    let rg = value["id"]
        .as_str()
        .and_then(|id| id.split('/').nth(4))
        .unwrap_or_default()
        .to_owned();
    let mut flat = lift(value);
    flat["resourceGroup"] = Value::String(rg);
    flat
}

/// Writes the export of `plan` into `dir` (emptied first) in `layout`.
pub fn write(plan: &Plan, dir: &Path, layout: Layout) -> Written {
    // A kept JITSCAN_BENCH_DIR may hold an older layout: start clean.
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    std::fs::create_dir_all(dir).unwrap();
    let mut sink = Sink {
        layout,
        dir: dir.to_path_buf(),
        open: BTreeMap::new(),
        written: Written::default(),
    };
    for hub in &plan.hubs {
        let [vnet, firewall, pip] = <[Value; 3]>::try_from(rest::hub(hub)).unwrap();
        sink.push("virtualNetworks", vnet);
        sink.push("azureFirewalls", firewall);
        sink.push("publicIPAddresses", pip);
    }
    for rg in &plan.rgs {
        for n in 0..rg.nsgs.len() {
            sink.push("networkSecurityGroups", rest::nsg(rg, n));
        }
        sink.push("virtualNetworks", rest::vnet(rg, &plan.hubs[rg.hub]));
        if let Some((lb, pip)) = rest::load_balancer(rg) {
            sink.push("loadBalancers", lb);
            sink.push("publicIPAddresses", pip);
        }
        for vm in &rg.vms {
            if let Some(pip) = rest::vm_public_ip(rg, vm) {
                sink.push("publicIPAddresses", pip);
            }
            sink.push("networkInterfaces", rest::nic(rg, vm));
            sink.push("virtualMachines", rest::vm(rg, vm));
        }
        if let Some(policy) = rest::jit_policy(rg) {
            sink.push("jitNetworkAccessPolicies", policy);
        }
    }
    let kinds: Vec<&'static str> = sink.open.keys().copied().collect();
    for kind in kinds {
        sink.finish(kind, None);
    }
    sink.written
}
