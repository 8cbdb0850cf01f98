import EmpathyCore
import Foundation
@testable import Grading
import XCTest

final class LUTLibraryTests: XCTestCase {
    func testShipsTheNeonNoirSet() throws {
        let names = try LUTLibrary.shipped().map(\.qualifiedName)
        XCTAssertGreaterThanOrEqual(names.filter { $0.hasPrefix("neon-noir/") }.count, 6, "\(names)")
    }

    func testResolvesBareAndQualifiedNames() throws {
        let first = try XCTUnwrap(LUTLibrary.shipped().first)
        let bare = String(first.qualifiedName.split(separator: "/").last!)
        XCTAssertEqual(try LUTLibrary.resolve(bare), first.path)
        XCTAssertEqual(try LUTLibrary.resolve(first.qualifiedName), first.path)
        XCTAssertEqual(try LUTLibrary.resolve(first.qualifiedName.uppercased()), first.path)
    }

    func testUnknownLookListsTheChoices() {
        XCTAssertThrowsError(try LUTLibrary.resolve("no-such-look")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("unknown look 'no-such-look'; choose one of: "), message)
            XCTAssertTrue(message.contains("neon-noir/"), message)
        }
    }

    func testMissingCubeFileIsNamed() {
        XCTAssertThrowsError(try LUTLibrary.resolve("/nowhere/look.cube")) { error in
            XCTAssertEqual("\(error)",
                           "LUT file '/nowhere/look.cube' does not exist; pass a .cube file or a look name (see 'empathy luts')")
        }
    }
}
