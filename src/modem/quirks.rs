//! What particular modem families need beyond the standard. Keyed by the
//! `AT+CGMI` manufacturer string; unknown modems get the generic entry,
//! which tries every ICCID command in turn.

use std::time::Duration;

use crate::at::command::IccidCommand;

/// Per-vendor adjustments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quirks {
    /// Family name, for logs and `simfleet modem probe`.
    pub family: &'static str,
    /// ICCID commands to try, best first.
    pub iccid: &'static [IccidCommand],
    /// Extra commands after the standard init; failures are only logged.
    pub init: &'static [&'static str],
    /// Pause after the SIM reports ready before SMS commands work.
    pub sim_ready_delay: Duration,
}

const ALL_ICCID: &[IccidCommand] = &[
    IccidCommand::Ccid,
    IccidCommand::Iccid,
    IccidCommand::Quectel,
    IccidCommand::Huawei,
];

/// The quirks for a manufacturer string (case-insensitive).
pub fn for_manufacturer(manufacturer: &str) -> Quirks {
    let m = manufacturer.to_ascii_lowercase();
    if m.contains("huawei") {
        Quirks {
            family: "huawei",
            iccid: &[IccidCommand::Huawei, IccidCommand::Ccid],
            // ^CURC=0 silences the periodic ^RSSI, ^BOOT, ^MODE and
            // ^DSFLOWRPT chatter that would otherwise interleave every reply.
            init: &["AT^CURC=0"],
            sim_ready_delay: Duration::ZERO,
        }
    } else if m.contains("zte") {
        Quirks {
            family: "zte",
            iccid: &[IccidCommand::Ccid, IccidCommand::Iccid],
            // Many ZTE sticks boot into a "download/CD-ROM" mode; +ZCDRUN=8
            // keeps the modem interface stable on later boots.
            init: &["AT+ZCDRUN=8"],
            sim_ready_delay: Duration::from_secs(1),
        }
    } else if m.contains("simcom") || m.contains("sim com") {
        Quirks {
            family: "simcom",
            iccid: &[IccidCommand::Ccid, IccidCommand::Iccid],
            init: &[],
            // SIMCom answers SMS commands with +CMS ERROR 302/314 until it
            // prints "SMS Ready", a few seconds after +CPIN: READY.
            sim_ready_delay: Duration::from_secs(3),
        }
    } else if m.contains("quectel") {
        Quirks {
            family: "quectel",
            iccid: &[IccidCommand::Quectel, IccidCommand::Ccid],
            // Quectel may send URCs to another USB interface; route them to
            // the one we talk to, or +CMTI never arrives.
            init: &["AT+QURCCFG=\"urcport\",\"usbat\""],
            sim_ready_delay: Duration::from_secs(1),
        }
    } else if m.contains("sierra") {
        Quirks {
            family: "sierra",
            iccid: &[IccidCommand::Iccid, IccidCommand::Ccid],
            init: &[],
            sim_ready_delay: Duration::ZERO,
        }
    } else if m.contains("telit") {
        Quirks {
            family: "telit",
            iccid: &[IccidCommand::Ccid, IccidCommand::Iccid],
            init: &[],
            sim_ready_delay: Duration::from_secs(1),
        }
    } else if m.contains("u-blox") || m.contains("ublox") {
        Quirks {
            family: "u-blox",
            iccid: &[IccidCommand::Ccid],
            init: &[],
            sim_ready_delay: Duration::ZERO,
        }
    } else {
        Quirks {
            family: "generic",
            iccid: ALL_ICCID,
            init: &[],
            sim_ready_delay: Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(for_manufacturer("huawei").family, "huawei");
        assert_eq!(for_manufacturer("Quectel").iccid[0], IccidCommand::Quectel);
        assert_eq!(for_manufacturer("SIMCOM INCORPORATED").family, "simcom");
        assert_eq!(for_manufacturer("ZTE CORPORATION").family, "zte");
        assert_eq!(for_manufacturer("Sierra Wireless, Incorporated").family, "sierra");
        assert_eq!(for_manufacturer("Acme").iccid.len(), 4);
    }
}
