//! The serial ports present, read from sysfs (no libudev): for each tty
//! with real hardware behind it, its USB identity (vendor, product, serial,
//! interface and its class), driver, and the stable `/dev/simfleet/` name
//! pointing at it, if any. Pure file reading under a root directory, so it
//! is tested against a fake tree.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// One serial port.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SerialPort {
    /// `/dev/ttyUSB2`.
    pub port: PathBuf,
    /// Stable names pointing at it (`/dev/simfleet/huawei-...`).
    pub stable: Vec<PathBuf>,
    /// `usb` or `platform` (a UART, e.g. a HAT on a Pi).
    pub bus: String,
    /// Kernel driver of the port (`option`, `cdc_acm`, `qcserial`, ...).
    pub driver: Option<String>,
    /// USB vendor id, hex.
    pub vendor_id: Option<String>,
    /// USB product id, hex.
    pub product_id: Option<String>,
    /// Manufacturer string.
    pub manufacturer: Option<String>,
    /// Product string.
    pub product: Option<String>,
    /// USB serial number.
    pub serial: Option<String>,
    /// USB bus and port path, e.g. `1-1.3`.
    pub usb_path: Option<String>,
    /// USB interface number, e.g. `02`.
    pub interface: Option<String>,
    /// Interface class/subclass/protocol, e.g. `ff/02/02`.
    pub interface_class: Option<String>,
}

fn read(p: &Path) -> Option<String> {
    fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn link_name(p: &Path) -> Option<String> {
    fs::read_link(p)
        .ok()
        .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()))
}

/// Every hardware serial port under `root` (`/` on a real system), sorted
/// by name. Legacy PC UARTs with no hardware behind them (`serial8250`)
/// and virtual terminals are left out.
pub fn serial_ports(root: &Path) -> Vec<SerialPort> {
    let stable = stable_names(root);
    let Ok(entries) = fs::read_dir(root.join("sys/class/tty")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let tty = entry.path();
        let Ok(device) = fs::canonicalize(tty.join("device")) else {
            continue; // virtual: tty0, ptmx, console...
        };
        // Newer kernels put "port"/"ctrl" devices between a UART and its
        // driver: the driver that counts is the first other one up.
        let driver = device
            .ancestors()
            .take(4)
            .filter_map(|d| link_name(&d.join("driver")))
            .find(|d| d != "port" && d != "ctrl");
        let usb_iface = device
            .ancestors()
            .take(3)
            .find(|d| d.join("bInterfaceNumber").exists())
            .map(Path::to_path_buf);
        let mut port = SerialPort {
            port: PathBuf::from("/dev").join(&name),
            driver: driver.clone(),
            ..SerialPort::default()
        };
        match usb_iface {
            Some(iface) => {
                port.bus = "usb".into();
                port.interface = read(&iface.join("bInterfaceNumber"));
                let class = ["bInterfaceClass", "bInterfaceSubClass", "bInterfaceProtocol"]
                    .map(|a| read(&iface.join(a)).unwrap_or_else(|| "??".into()));
                port.interface_class = Some(class.join("/"));
                if port.driver.is_none() {
                    port.driver = link_name(&iface.join("driver"));
                }
                if let Some(usb) = iface.parent() {
                    port.vendor_id = read(&usb.join("idVendor"));
                    port.product_id = read(&usb.join("idProduct"));
                    port.manufacturer = read(&usb.join("manufacturer"));
                    port.product = read(&usb.join("product"));
                    port.serial = read(&usb.join("serial"));
                    port.usb_path = usb.file_name().map(|n| n.to_string_lossy().into_owned());
                }
            }
            None => {
                if driver.as_deref() == Some("serial8250") || driver.is_none() {
                    continue;
                }
                port.bus = "platform".into();
            }
        }
        port.stable = stable.get(&name).cloned().unwrap_or_default();
        out.push(port);
    }
    out.sort_by_key(|a| natural(&a.port));
    out
}

/// `/dev/ttyUSB10` after `/dev/ttyUSB9`.
fn natural(p: &Path) -> (String, u64) {
    let s = p.to_string_lossy();
    let digits = s.len() - s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, tail) = s.split_at(s.len() - digits);
    (head.to_string(), tail.parse().unwrap_or(0))
}

/// tty name → the `/dev/simfleet/*` links that point at it.
fn stable_names(root: &Path) -> HashMap<String, Vec<PathBuf>> {
    let mut map: HashMap<String, Vec<PathBuf>> = HashMap::new();
    let dir = root.join("dev/simfleet");
    let Ok(entries) = fs::read_dir(&dir) else {
        return map;
    };
    for e in entries.flatten() {
        if let Some(target) = link_name(&e.path()) {
            map.entry(target)
                .or_default()
                .push(PathBuf::from("/dev/simfleet").join(e.file_name()));
        }
    }
    for v in map.values_mut() {
        v.sort();
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn write(p: &Path, s: &str) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, format!("{s}\n")).unwrap();
    }

    /// A USB modem with three ttys and a Pi UART, as sysfs lays them out.
    fn fake_tree() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let usb = r.join("sys/devices/platform/soc/usb1/1-1/1-1.3");
        for (k, v) in [
            ("idVendor", "12d1"),
            ("idProduct", "1001"),
            ("manufacturer", "HUAWEI"),
            ("product", "HUAWEI Mobile"),
        ] {
            write(&usb.join(k), v);
        }
        let drivers = r.join("sys/bus/usb-serial/drivers/option1");
        fs::create_dir_all(&drivers).unwrap();
        for (n, ifnum, proto) in [(0, "00", "01"), (1, "01", "03"), (2, "02", "02")] {
            let iface = usb.join(format!("1-1.3:1.{n}"));
            write(&iface.join("bInterfaceNumber"), ifnum);
            write(&iface.join("bInterfaceClass"), "ff");
            write(&iface.join("bInterfaceSubClass"), "ff");
            write(&iface.join("bInterfaceProtocol"), proto);
            let dev = iface.join(format!("ttyUSB{n}"));
            fs::create_dir_all(&dev).unwrap();
            symlink(&drivers, dev.join("driver")).unwrap();
            let class = r.join(format!("sys/class/tty/ttyUSB{n}"));
            fs::create_dir_all(&class).unwrap();
            symlink(&dev, class.join("device")).unwrap();
        }
        // A Pi UART with a HAT, a legacy PC UART and a virtual terminal.
        let uart = r.join("sys/devices/platform/soc/fe201000.serial");
        fs::create_dir_all(&uart).unwrap();
        let pl011 = r.join("sys/bus/amba/drivers/uart-pl011");
        fs::create_dir_all(&pl011).unwrap();
        symlink(&pl011, uart.join("driver")).unwrap();
        fs::create_dir_all(r.join("sys/class/tty/ttyAMA0")).unwrap();
        symlink(&uart, r.join("sys/class/tty/ttyAMA0/device")).unwrap();
        let legacy = r.join("sys/devices/platform/serial8250");
        let d8250 = r.join("sys/bus/platform/drivers/serial8250");
        fs::create_dir_all(&legacy).unwrap();
        fs::create_dir_all(&d8250).unwrap();
        symlink(&d8250, legacy.join("driver")).unwrap();
        let port = legacy.join("serial8250:0/serial8250:0.3");
        fs::create_dir_all(&port).unwrap();
        let port_driver = r.join("sys/bus/serial-base/drivers/port");
        fs::create_dir_all(&port_driver).unwrap();
        symlink(&port_driver, port.join("driver")).unwrap();
        fs::create_dir_all(r.join("sys/class/tty/ttyS3")).unwrap();
        symlink(&port, r.join("sys/class/tty/ttyS3/device")).unwrap();
        fs::create_dir_all(r.join("sys/class/tty/tty1")).unwrap();
        // The stable name udev made.
        fs::create_dir_all(r.join("dev/simfleet")).unwrap();
        symlink("../ttyUSB2", r.join("dev/simfleet/huawei-usb1-1.3")).unwrap();
        root
    }

    #[test]
    fn usb_modem_ports_and_uarts_with_their_identity() {
        let root = fake_tree();
        let ports = serial_ports(root.path());
        let names: Vec<String> = ports.iter().map(|p| p.port.display().to_string()).collect();
        assert_eq!(
            names,
            ["/dev/ttyAMA0", "/dev/ttyUSB0", "/dev/ttyUSB1", "/dev/ttyUSB2"]
        );
        let pcui = &ports[3];
        assert_eq!(pcui.bus, "usb");
        assert_eq!(pcui.vendor_id.as_deref(), Some("12d1"));
        assert_eq!(pcui.product_id.as_deref(), Some("1001"));
        assert_eq!(pcui.interface.as_deref(), Some("02"));
        assert_eq!(pcui.interface_class.as_deref(), Some("ff/ff/02"));
        assert_eq!(pcui.usb_path.as_deref(), Some("1-1.3"));
        assert_eq!(pcui.driver.as_deref(), Some("option1"));
        assert_eq!(pcui.serial, None);
        assert_eq!(pcui.stable, [PathBuf::from("/dev/simfleet/huawei-usb1-1.3")]);
        assert!(ports[1].stable.is_empty());
        assert_eq!(ports[0].bus, "platform");
        assert_eq!(ports[0].driver.as_deref(), Some("uart-pl011"));
    }

    #[test]
    fn nothing_there_is_an_empty_list() {
        let root = tempfile::tempdir().unwrap();
        assert!(serial_ports(root.path()).is_empty());
    }

    #[test]
    fn natural_order() {
        let mut v = [PathBuf::from("/dev/ttyUSB10"), PathBuf::from("/dev/ttyUSB9")];
        v.sort_by_key(|p| natural(p));
        assert_eq!(v[0], PathBuf::from("/dev/ttyUSB9"));
    }
}
