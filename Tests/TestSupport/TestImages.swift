import DockerEngine
import Foundation

/// Small images built in the tests themselves (there is no registry here).
public enum TestImages {
    /// `stackpilot-test/busybox:latest`: `FROM scratch` with Debian's static busybox at
    /// /bin/busybox and links for sh, wget, sleep, echo, cat, ls, env, true, false, nc, httpd,
    /// top, yes, dd; default command `sh`. Built at most once per test process (and reused when
    /// the engine already has it with the same content label).
    public static let busyboxTag = "stackpilot-test/busybox:latest"

    public static let busyboxApplets = [
        "sh", "wget", "sleep", "echo", "cat", "ls", "env", "true", "false", "nc", "httpd", "top", "yes", "dd", "ps", "mkdir", "rm", "touch",
    ]

    /// Where the static busybox comes from (`busybox-static`, installed by scripts/setup).
    public static let busyboxPath = "/bin/busybox"

    public enum Failure: Error, CustomStringConvertible {
        case missingBusybox
        public var description: String {
            "\(TestImages.busyboxPath) is missing: install Debian's busybox-static (scripts/setup does)"
        }
    }

    private static let builder = Builder()

    /// Builds (once) and returns `stackpilot-test/busybox:latest`.
    public static func busybox(_ engine: DockerEngine.Client) async throws -> String {
        try await builder.busybox(engine)
    }

    /// The tar build context of the busybox image (also handy for build tests).
    public static func busyboxContext(dockerfileExtra: String = "") throws -> Data {
        guard let binary = FileManager.default.contents(atPath: busyboxPath) else { throw Failure.missingBusybox }
        var tar = DockerEngine.TarWriter()
        try tar.addFile(
            "Dockerfile",
            text: """
                FROM scratch
                COPY rootfs/ /
                LABEL stackpilot.test.image="busybox"
                CMD ["/bin/sh"]
                \(dockerfileExtra)
                """)
        try tar.addDirectory("rootfs/bin")
        try tar.addFile("rootfs/bin/busybox", contents: binary, mode: 0o755)
        for applet in busyboxApplets { try tar.addSymlink("rootfs/bin/\(applet)", target: "busybox") }
        try tar.addDirectory("rootfs/tmp", mode: 0o1777)
        return tar.finish()
    }

    private actor Builder {
        private var built: String?

        func busybox(_ engine: DockerEngine.Client) async throws -> String {
            if let built { return built }
            let context = try TestImages.busyboxContext()
            _ = try await engine.build(context: context, options: .init(tags: [TestImages.busyboxTag]))
            built = TestImages.busyboxTag
            return TestImages.busyboxTag
        }
    }
}
