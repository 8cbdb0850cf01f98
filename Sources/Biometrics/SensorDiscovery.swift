import CUDev
import Foundation

/// A serial device found by libudev, and why it is (or is not) taken for a
/// pulse sensor.
public struct DiscoveredSerialDevice: Sendable, Equatable {
    public var path: String
    public var vendorID: String
    public var productID: String
    public var productName: String?
    /// The known USB-serial chip or board it matched, nil when it matched none.
    public var match: String?
    /// One line: why it matched or not.
    public var reason: String

    public var isCandidate: Bool { match != nil }
}

/// Finds pulse sensors: tty devices whose USB parent has a known VID:PID.
public enum SensorDiscovery {
    /// Known USB vendor (and product, when the vendor also makes other things) IDs.
    public static let knownDevices: [(vendorID: String, productID: String?, name: String)] = [
        ("2341", nil, "Arduino (arduino.cc)"),
        ("2a03", nil, "Arduino (arduino.org)"),
        ("1a86", nil, "CH340 USB-serial (Uno clones)"),
        ("0403", "6001", "FTDI FT232R USB-serial"),
        ("10c4", "ea60", "Silicon Labs CP210x USB-serial"),
        ("239a", nil, "Adafruit board"),
    ]

    /// The known device a USB VID:PID (hex, any case) belongs to, if any.
    public static func match(vendorID: String, productID: String) -> String? {
        let vendor = vendorID.lowercased(), product = productID.lowercased()
        return knownDevices.first { $0.vendorID == vendor && ($0.productID == nil || $0.productID == product) }?.name
    }

    /// Every tty with a USB parent, known or not, sorted by path.
    public static func list() throws -> [DiscoveredSerialDevice] {
        guard let udev = udev_new() else {
            throw SerialPortError.system(path: "udev", operation: "start", errno: errno)
        }
        defer { udev_unref(udev) }
        guard let enumerator = udev_enumerate_new(udev) else {
            throw SerialPortError.system(path: "udev", operation: "enumerate devices with", errno: errno)
        }
        defer { udev_enumerate_unref(enumerator) }
        udev_enumerate_add_match_subsystem(enumerator, "tty")
        udev_enumerate_scan_devices(enumerator)
        var found: [DiscoveredSerialDevice] = []
        var entry = udev_enumerate_get_list_entry(enumerator)
        while let current = entry {
            defer { entry = udev_list_entry_get_next(current) }
            guard let syspath = udev_list_entry_get_name(current),
                  let device = udev_device_new_from_syspath(udev, syspath) else { continue }
            defer { udev_device_unref(device) }
            guard let node = udev_device_get_devnode(device),
                  // The parent is owned by `device`; no unref.
                  let usb = udev_device_get_parent_with_subsystem_devtype(device, "usb", "usb_device"),
                  let vendor = udev_device_get_sysattr_value(usb, "idVendor"),
                  let product = udev_device_get_sysattr_value(usb, "idProduct")
            else { continue }
            let vendorID = String(cString: vendor), productID = String(cString: product)
            let name = udev_device_get_sysattr_value(usb, "product").map { String(cString: $0) }
            let known = match(vendorID: vendorID, productID: productID)
            let reason = known.map { "USB \(vendorID):\(productID) is a known \($0)" }
                ?? "USB \(vendorID):\(productID) is not a known pulse-sensor board or USB-serial chip"
            found.append(DiscoveredSerialDevice(
                path: String(cString: node), vendorID: vendorID, productID: productID,
                productName: name, match: known, reason: reason))
        }
        return found.sorted { $0.path < $1.path }
    }

    /// The first candidate's path, for `--sensor auto`.
    public static func firstCandidate() throws -> String? {
        try list().first(where: \.isCandidate)?.path
    }
}

/// Wakes a waiting reader early when a tty appears, where a udev daemon runs.
///
/// Containers run no udev daemon, so the monitor's socket never receives an
/// event there; the reader then simply retries on its backoff timer
/// (polling), which is also what happens when `wait` times out here.
final class HotplugMonitor {
    private let udev: OpaquePointer
    private let monitor: OpaquePointer
    private let descriptor: Int32

    /// nil where no udev daemon runs (no /run/udev/control) or libudev fails.
    init?() {
        guard FileManager.default.fileExists(atPath: "/run/udev/control"),
              let udev = udev_new() else { return nil }
        guard let monitor = udev_monitor_new_from_netlink(udev, "udev") else {
            udev_unref(udev)
            return nil
        }
        udev_monitor_filter_add_match_subsystem_devtype(monitor, "tty", nil)
        guard udev_monitor_enable_receiving(monitor) >= 0 else {
            udev_monitor_unref(monitor)
            udev_unref(udev)
            return nil
        }
        self.udev = udev
        self.monitor = monitor
        descriptor = udev_monitor_get_fd(monitor)
    }

    deinit {
        udev_monitor_unref(monitor)
        udev_unref(udev)
    }

    /// Waits up to `timeoutMs` for an "add" event; true when one came.
    func waitForAdd(timeoutMs: Int32) -> Bool {
        var pfd = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMs) > 0, let device = udev_monitor_receive_device(monitor) else { return false }
        defer { udev_device_unref(device) }
        return udev_device_get_action(device).map { String(cString: $0) == "add" } ?? false
    }
}
