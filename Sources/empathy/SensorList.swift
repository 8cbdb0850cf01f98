import ArgumentParser
import Biometrics
import Foundation

struct SensorList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List USB serial devices and whether each looks like a pulse sensor.")

    func run() throws {
        try reportingErrors {
            let devices = try SensorDiscovery.list()
            if devices.isEmpty {
                print("no USB serial devices found: plug the board in, or pass its path to --sensor")
                return
            }
            for device in devices {
                let mark = device.isCandidate ? "sensor " : "other  "
                let name = device.productName.map { " (\($0))" } ?? ""
                print("\(mark)\(device.path)\(name): \(device.reason)")
            }
        }
    }
}
