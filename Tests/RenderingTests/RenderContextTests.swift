import EmpathyCore
import Foundation
import XCTest

@testable import Rendering

final class RenderContextTests: XCTestCase {
    func testContextComesUpWithOpenGLES3AndReportsRendererAndVersion() throws {
        let context = try RenderContext()
        print("RenderContext: \(context.platformUsed.rawValue), \(context.renderer), \(context.version), ES \(context.contextVersion)")
        XCTAssertFalse(context.renderer.isEmpty)
        XCTAssertNotEqual(context.renderer, "unknown")
        XCTAssertTrue(context.version.hasPrefix("OpenGL ES 3."), "GL_VERSION is '\(context.version)'")
        XCTAssertTrue(["3.2", "3.0"].contains(context.contextVersion))
        XCTAssertNotEqual(context.platformUsed, .automatic, "the platform used must be a concrete one")
        XCTAssertGreaterThanOrEqual(context.max3DTextureSize, 256)
    }

    func testAutomaticChoiceUsesSurfacelessWhenOnlySoftwareRenderingExists() throws {
        let context = try RenderContext(platform: .automatic)
        // A software renderer is only picked through the surfaceless platform;
        // a hardware device would be picked through the device platform.
        if context.renderer.contains("llvmpipe") || context.renderer.contains("softpipe") {
            XCTAssertEqual(context.platformUsed, .surfaceless)
        } else {
            XCTAssertEqual(context.platformUsed, .device, "renderer '\(context.renderer)' should come from an EGL device")
        }
    }

    func testSurfacelessPlatformGivesAnOpenGLES3Context() throws {
        let context = try RenderContext(platform: .surfaceless)
        XCTAssertEqual(context.platformUsed, .surfaceless)
        XCTAssertTrue(context.version.hasPrefix("OpenGL ES 3."), "GL_VERSION is '\(context.version)'")
    }

    func testDevicePlatformOpensAnEGLDeviceEvenASoftwareOne() throws {
        // Mesa exposes llvmpipe as a software EGL device, so forcing the device
        // platform works on machines without a GPU too.
        let context = try RenderContext(platform: .device)
        XCTAssertEqual(context.platformUsed, .device)
        XCTAssertTrue(context.version.hasPrefix("OpenGL ES 3."), "GL_VERSION is '\(context.version)'")
    }

    func testEnvironmentForcesThePlatformWhenAutomatic() throws {
        setenv("EMPATHY_EGL", "device", 1)
        defer { unsetenv("EMPATHY_EGL") }
        XCTAssertEqual(try RenderContext().platformUsed, .device)
        setenv("EMPATHY_EGL", "surfaceless", 1)
        XCTAssertEqual(try RenderContext().platformUsed, .surfaceless)
        // An explicit argument wins over the environment.
        XCTAssertEqual(try RenderContext(platform: .device).platformUsed, .device)
    }

    func testUnknownEnvironmentChoiceIsOneLineNamingTheChoices() {
        setenv("EMPATHY_EGL", "gpu", 1)
        defer { unsetenv("EMPATHY_EGL") }
        XCTAssertThrowsError(try RenderContext()) { error in
            let message = "\(error)"
            XCTAssertEqual(
                message, "EMPATHY_EGL='gpu' is not a display choice; use one of 'auto', 'device' or 'surfaceless'")
        }
    }

    func testMissingMesaDriverIsOneLineNamingTheEGLErrorAndThePackage() throws {
        // Runs the context test in a child copy of this test binary whose
        // Mesa cannot find its drivers, as on a machine without
        // libgl1-mesa-dri, and reads the error it reports.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["RenderingTests.RenderContextTests/testContextComesUpWithOpenGLES3AndReportsRendererAndVersion"]
        var environment = ProcessInfo.processInfo.environment
        environment["LIBGL_DRIVERS_PATH"] = "/nonexistent"
        environment["EMPATHY_EGL"] = "surfaceless"
        child.environment = environment
        let output = Pipe()
        child.standardOutput = output
        child.standardError = output
        try child.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        XCTAssertNotEqual(child.terminationStatus, 0, "the child's context must fail to start:\n\(text)")
        XCTAssertTrue(
            text.contains(
                "\"cannot initialise the surfaceless EGL display (EGL_NOT_INITIALIZED); install libgl1-mesa-dri (Mesa) or a GPU driver\""),
            text)
    }

    func testEGLErrorsAreNamedLikeTheirConstants() {
        XCTAssertEqual(RenderContext.eglErrorName(0x3001), "EGL_NOT_INITIALIZED")
        XCTAssertEqual(RenderContext.eglErrorName(0x3009), "EGL_BAD_MATCH")
        XCTAssertEqual(RenderContext.eglErrorName(0x300E), "EGL_CONTEXT_LOST")
        XCTAssertEqual(RenderContext.eglErrorName(0x4000), "EGL error 0x4000")
    }

    func testCompileLogsFromDifferentDriversGiveLineAndMessage() {
        let mesa = GL.parseCompileLog("0:42(5): error: syntax error, unexpected ';'\n")
        XCTAssertEqual(mesa.line, 42)
        XCTAssertEqual(mesa.message, "error: syntax error, unexpected ';'")
        let other = GL.parseCompileLog("ERROR: 0:7: 'x' : undeclared identifier\nERROR: 1 compilation errors.")
        XCTAssertEqual(other.line, 7)
        XCTAssertEqual(other.message, "'x' : undeclared identifier")
        let bare = GL.parseCompileLog("something went wrong")
        XCTAssertNil(bare.line)
        XCTAssertEqual(bare.message, "something went wrong")
    }
}
