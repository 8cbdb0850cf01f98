import CEGL
import EmpathyCore
import Foundation

/// A headless OpenGL ES context: EGL 1.5 with no window, no surface and no
/// config; passes render into their own framebuffer objects.
///
/// Display choice: the EGL device platform (`eglQueryDevicesEXT` +
/// `EGL_PLATFORM_DEVICE_EXT`) when a device with a hardware driver exists,
/// otherwise Mesa's surfaceless platform (llvmpipe on machines without a GPU).
/// `platform: .automatic` reads `EMPATHY_EGL=auto|device|surfaceless` to force
/// a choice; an explicit `.device` or `.surfaceless` argument wins over it.
/// `.device` accepts a software device (Mesa exposes one) when no hardware
/// device exists.
///
/// The context asks for OpenGL ES 3.2 and falls back to 3.0
/// (`contextVersion` says which it got).
///
/// The GL context is current on the thread that created it; use it from that thread only.
/// `@unchecked Sendable`: the handles are immutable after `init`, and EGL
/// itself tolerates being called from any thread; the one-thread rule above is
/// what keeps GL state consistent, so no lock guards it.
public final class RenderContext: @unchecked Sendable {
    public enum Platform: String, Sendable, CaseIterable { case automatic = "auto", device, surfaceless }

    public let renderer: String
    public let version: String
    public let platformUsed: Platform
    /// "3.2" or "3.0": the OpenGL ES version the context was created with.
    public let contextVersion: String
    public let max3DTextureSize: Int
    public let maxTextureSize: Int
    /// Texels in one texture buffer; 0 on an OpenGL ES 3.0 context (texture
    /// buffers are core in 3.2).
    public let maxTextureBufferSize: Int

    let display: EGLDisplay
    let context: EGLContext

    static let installHint = "install libgl1-mesa-dri (Mesa) or a GPU driver"

    public convenience init(platform: Platform = .automatic) throws {
        try self.init(platform: platform, versions: [(3, 2), (3, 0)])
    }

    /// `versions`: the OpenGL ES (major, minor) versions to try, in order
    /// (tests use [(3, 0)] to exercise the fallback).
    init(platform: Platform, versions: [(major: Int32, minor: Int32)]) throws {
        var choice = platform
        if choice == .automatic, let env = ProcessInfo.processInfo.environment["EMPATHY_EGL"], !env.isEmpty {
            guard let forced = Platform(rawValue: env) else {
                throw EmpathyError.invalidArgument(
                    "EMPATHY_EGL='\(env)' is not a display choice; use one of 'auto', 'device' or 'surfaceless'")
            }
            choice = forced
        }

        // Candidates in order of preference; the first that gives a current
        // OpenGL ES 3 context wins, so a GPU whose driver fails to start
        // falls back to the surfaceless platform in automatic mode.
        var candidates: [(EGLDisplay, Platform)] = []
        if choice != .surfaceless {
            candidates += Self.deviceDisplays(acceptSoftware: choice == .device).map { ($0, .device) }
            if candidates.isEmpty && choice == .device {
                throw EmpathyError.message(
                    "EMPATHY_EGL=device: no EGL device found (\(Self.eglErrorName(eglGetError()))); \(Self.installHint), or use EMPATHY_EGL=surfaceless")
            }
        }
        if choice != .device {
            guard let d = eglGetPlatformDisplay(EGLenum(EGL_PLATFORM_SURFACELESS_MESA), nil, nil) else {
                throw EmpathyError.message(
                    "cannot open the surfaceless EGL display (\(Self.eglErrorName(eglGetError()))); \(Self.installHint)")
            }
            candidates.append((d, .surfaceless))
        }
        var started: (display: EGLDisplay, platform: Platform, context: EGLContext, version: String)?
        var failures: [Error] = []
        for (candidate, candidatePlatform) in candidates {
            do {
                let (context, version) = try Self.start(candidate, candidatePlatform, versions: versions)
                started = (candidate, candidatePlatform, context, version)
                break
            } catch {
                failures.append(error)
            }
        }
        guard let (display, used, context, contextVersion) = started else {
            throw failures.last ?? EmpathyError.message("cannot open an EGL display; \(Self.installHint)")
        }

        self.display = display
        self.context = context
        self.platformUsed = used
        self.contextVersion = contextVersion
        self.renderer = glGetString(GLenum(GL_RENDERER)).map { String(cString: $0) } ?? "unknown"
        self.version = glGetString(GLenum(GL_VERSION)).map { String(cString: $0) } ?? "unknown"
        var value: GLint = 0
        glGetIntegerv(GLenum(GL_MAX_3D_TEXTURE_SIZE), &value)
        self.max3DTextureSize = Int(value)
        glGetIntegerv(GLenum(GL_MAX_TEXTURE_SIZE), &value)
        self.maxTextureSize = Int(value)
        value = 0
        if contextVersion == "3.2" { glGetIntegerv(GLenum(GL_MAX_TEXTURE_BUFFER_SIZE), &value) }
        self.maxTextureBufferSize = Int(value)
        while glGetError() != GLenum(GL_NO_ERROR) {}
    }

    deinit {
        if eglGetCurrentContext() == context {
            eglMakeCurrent(display, nil, nil, nil)
        }
        eglDestroyContext(display, context)
        // No eglTerminate: EGL hands every caller the same display for the same
        // platform and device, so terminating it would break other contexts.
    }

    /// Makes this context current on the calling thread if it is not already
    /// (another context created on the same thread would have replaced it).
    public func makeCurrent() throws {
        if eglGetCurrentContext() == context { return }
        guard eglMakeCurrent(display, nil, nil, context) == EGL_TRUE else {
            let error = eglGetError()
            if error == EGL_CONTEXT_LOST {
                throw EmpathyError.transient("the GPU's OpenGL ES context was lost (a GPU reset or power event); run again")
            }
            throw EmpathyError.message(
                "cannot make the OpenGL ES context current (\(Self.eglErrorName(error))); use a render context on the thread that created it")
        }
    }

    /// Initialises `display` and makes a new OpenGL ES context current on it,
    /// trying `versions` in order. Returns the context and "major.minor".
    private static func start(
        _ display: EGLDisplay, _ used: Platform, versions: [(major: Int32, minor: Int32)]
    ) throws -> (EGLContext, String) {
        var major: EGLint = 0, minor: EGLint = 0
        guard eglInitialize(display, &major, &minor) == EGL_TRUE else {
            throw EmpathyError.message(
                "cannot initialise the \(used.rawValue) EGL display (\(eglErrorName(eglGetError()))); \(installHint)")
        }
        guard major > 1 || (major == 1 && minor >= 5) else {
            throw EmpathyError.message(
                "EGL \(major).\(minor) found on the \(used.rawValue) display, EGL 1.5 is needed; \(installHint)")
        }
        guard eglBindAPI(EGLenum(EGL_OPENGL_ES_API)) == EGL_TRUE else {
            throw EmpathyError.message(
                "the \(used.rawValue) EGL display has no OpenGL ES (\(eglErrorName(eglGetError()))); \(installHint)")
        }

        let extensions = eglQueryString(display, EGL_EXTENSIONS).map { String(cString: $0) } ?? ""
        let noConfig = extensions.contains("EGL_KHR_no_config_context") || extensions.contains("EGL_MESA_configless_context")
        var config: EGLConfig? = nil
        if !noConfig {
            // Without EGL_KHR_no_config_context, any ES 3 capable config will do:
            // the context never draws to a surface.
            let attributes: [EGLint] = [EGL_RENDERABLE_TYPE, EGL_OPENGL_ES3_BIT, EGL_NONE]
            var count: EGLint = 0
            guard eglChooseConfig(display, attributes, &config, 1, &count) == EGL_TRUE, count > 0 else {
                throw EmpathyError.message(
                    "the \(used.rawValue) EGL display offers no OpenGL ES 3 config (\(eglErrorName(eglGetError()))); \(installHint)")
            }
        }

        var lastError: EGLint = EGL_SUCCESS
        for (wantMajor, wantMinor) in versions {
            let attributes: [EGLint] = [
                EGL_CONTEXT_MAJOR_VERSION, wantMajor, EGL_CONTEXT_MINOR_VERSION, wantMinor, EGL_NONE,
            ]
            guard let context = eglCreateContext(display, config, nil, attributes) else {
                lastError = eglGetError()
                continue
            }
            guard eglMakeCurrent(display, nil, nil, context) == EGL_TRUE else {
                let error = eglGetError()
                eglDestroyContext(display, context)
                throw EmpathyError.message(
                    "cannot make an OpenGL ES context current without a surface on the \(used.rawValue) EGL display (\(eglErrorName(error))); \(installHint)")
            }
            return (context, "\(wantMajor).\(wantMinor)")
        }
        throw EmpathyError.message(
            "cannot create an OpenGL ES 3 context on the \(used.rawValue) EGL display (\(eglErrorName(lastError))); \(installHint)")
    }

    // MARK: - Device platform

    private typealias QueryDevices = @convention(c) (
        EGLint, UnsafeMutablePointer<EGLDeviceEXT?>?, UnsafeMutablePointer<EGLint>?
    ) -> EGLBoolean
    private typealias QueryDeviceString = @convention(c) (EGLDeviceEXT?, EGLint) -> UnsafePointer<CChar>?

    /// Displays of the hardware EGL devices, then (with `acceptSoftware`) of
    /// the software ones; empty when EGL has no device enumeration.
    private static func deviceDisplays(acceptSoftware: Bool) -> [EGLDisplay] {
        let clientExtensions = eglQueryString(nil, EGL_EXTENSIONS).map { String(cString: $0) } ?? ""
        guard clientExtensions.contains("EGL_EXT_device_enumeration") || clientExtensions.contains("EGL_EXT_device_base"),
            clientExtensions.contains("EGL_EXT_platform_device"),
            let queryPointer = eglGetProcAddress("eglQueryDevicesEXT"),
            let stringPointer = eglGetProcAddress("eglQueryDeviceStringEXT")
        else { return [] }
        let queryDevices = unsafeBitCast(queryPointer, to: QueryDevices.self)
        let queryDeviceString = unsafeBitCast(stringPointer, to: QueryDeviceString.self)

        var count: EGLint = 0
        guard queryDevices(0, nil, &count) == EGL_TRUE, count > 0 else { return [] }
        var devices = [EGLDeviceEXT?](repeating: nil, count: Int(count))
        guard queryDevices(count, &devices, &count) == EGL_TRUE else { return [] }

        var hardware: [EGLDeviceEXT] = []
        var software: [EGLDeviceEXT] = []
        for case let device? in devices.prefix(Int(count)) {
            let extensions = queryDeviceString(device, EGL_EXTENSIONS).map { String(cString: $0) } ?? ""
            if extensions.contains("EGL_MESA_device_software") {
                software.append(device)
            } else {
                hardware.append(device)
            }
        }
        return (hardware + (acceptSoftware ? software : [])).compactMap { device in
            eglGetPlatformDisplay(EGLenum(EGL_PLATFORM_DEVICE_EXT), UnsafeMutableRawPointer(device), nil)
        }
    }

    // MARK: - Error names

    static func eglErrorName(_ code: EGLint) -> String {
        switch code {
        case EGL_SUCCESS: return "EGL_SUCCESS"
        case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED"
        case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS"
        case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC"
        case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE"
        case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG"
        case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT"
        case EGL_BAD_CURRENT_SURFACE: return "EGL_BAD_CURRENT_SURFACE"
        case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY"
        case EGL_BAD_MATCH: return "EGL_BAD_MATCH"
        case EGL_BAD_NATIVE_PIXMAP: return "EGL_BAD_NATIVE_PIXMAP"
        case EGL_BAD_NATIVE_WINDOW: return "EGL_BAD_NATIVE_WINDOW"
        case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER"
        case EGL_BAD_SURFACE: return "EGL_BAD_SURFACE"
        case EGL_CONTEXT_LOST: return "EGL_CONTEXT_LOST"
        default: return "EGL error 0x" + String(code, radix: 16, uppercase: true)
        }
    }

    static func glErrorName(_ code: GLenum) -> String {
        switch Int32(code) {
        case GL_NO_ERROR: return "GL_NO_ERROR"
        case GL_INVALID_ENUM: return "GL_INVALID_ENUM"
        case GL_INVALID_VALUE: return "GL_INVALID_VALUE"
        case GL_INVALID_OPERATION: return "GL_INVALID_OPERATION"
        case GL_INVALID_FRAMEBUFFER_OPERATION: return "GL_INVALID_FRAMEBUFFER_OPERATION"
        case GL_OUT_OF_MEMORY: return "GL_OUT_OF_MEMORY"
        default: return "GL error 0x" + String(code, radix: 16, uppercase: true)
        }
    }
}
