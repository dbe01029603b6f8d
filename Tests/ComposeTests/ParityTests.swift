import Foundation
import Testing

@testable import Compose

/// Compose v2 parity bugs found by running `config` over real compose setups (issue 13): each test
/// is the reproducer, and the expected values are what compose-go gives.
@Suite("Compose v2 parity")
struct ParityTests {
    @Test("a bare environment name unset in the shell stays unset, even when an env_file sets it")
    func bareNameOverridesEnvFile() throws {
        let yaml = "services:\n  a:\n    image: x\n    env_file: vars.env\n    environment:\n      - QUX\n      - KEPT=1\n"
        let extra = ["vars.env": "QUX=from-file\nOTHER=file\n"]
        let (unset, _) = try Fixture.load(yaml, extra: extra)
        #expect(unset.services[0].environment == ["KEPT": "1", "OTHER": "file"])
        let (set, _) = try Fixture.load(yaml, extra: extra, environment: ["QUX": "shell"])
        #expect(set.services[0].environment == ["QUX": "shell", "KEPT": "1", "OTHER": "file"])
    }

    @Test("!reset removes what earlier files gave, !override replaces instead of merging")
    func mergeTags() throws {
        let base = """
            services:
              a:
                image: x
                ports: ["8080:80"]
                environment: {A: "1", B: "2"}
                labels: [keep=1, drop=2]
                depends_on: [b]
              b:
                image: x
            """
        let override = """
            services:
              a:
                ports: !reset []
                environment: !override
                  C: "3"
                labels:
                  drop: !reset
                depends_on: !reset
            """
        let (project, _) = try Fixture.load(base, extra: ["override.yaml": override], files: ["compose.yaml", "override.yaml"])
        let a = try #require(project.service(named: "a"))
        #expect(a.ports.isEmpty)
        #expect(a.environment == ["C": "3"])
        #expect(a.labels == ["keep": "1"])
        #expect(a.dependsOn.isEmpty)
    }

    @Test("!reset in a single file drops the value and the tag is not kept in the model")
    func resetInOneFile() throws {
        let (project, _) = try Fixture.load("services:\n  a:\n    image: x\n    command: !reset [\"sh\"]\n    user: !override root\n")
        let a = try #require(project.service(named: "a"))
        #expect(a.command == nil)
        #expect(a.user == "root")
    }

    @Test("label_file is merged under labels: explicit labels win, the file's others are added")
    func labelFile() throws {
        let (project, _) = try Fixture.load(
            "services:\n  a:\n    image: x\n    label_file: ./app.labels\n    labels:\n      b: explicit\n",
            extra: ["app.labels": "a=1\nb=file\n# comment\nc=$${a}\n"])
        let a = try #require(project.service(named: "a"))
        #expect(a.labels == ["a": "1", "b": "explicit", "c": "${a}"])
        #expect(a.other["label_file"] == nil)
    }

    struct NameCase: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var projectName: String?
        var environment: [String: String]
        var image: String
        var testDescription: String { name }
    }

    static let nameCases: [NameCase] = [
        NameCase(
            name: "from -p", yaml: "services:\n  a:\n    image: \"x:${COMPOSE_PROJECT_NAME}\"\n",
            projectName: "demo", environment: [:], image: "x:demo"),
        NameCase(
            name: "from name:", yaml: "name: Fancy_Name\nservices:\n  a:\n    image: \"x:${COMPOSE_PROJECT_NAME}\"\n",
            projectName: nil, environment: [:], image: "x:fancy_name"),
        NameCase(
            name: "from an interpolated name:", yaml: "name: ${STACK}\nservices:\n  a:\n    image: \"x:$COMPOSE_PROJECT_NAME\"\n",
            projectName: nil, environment: ["STACK": "blue"], image: "x:blue"),
        NameCase(
            name: "from COMPOSE_PROJECT_NAME itself", yaml: "services:\n  a:\n    image: \"x:${COMPOSE_PROJECT_NAME}\"\n",
            projectName: nil, environment: ["COMPOSE_PROJECT_NAME": "env"], image: "x:env"),
    ]

    @Test("COMPOSE_PROJECT_NAME is available to interpolation, set to the project's name", arguments: nameCases)
    func projectNameInterpolated(_ c: NameCase) throws {
        let (project, _) = try Fixture.load(c.yaml, environment: c.environment, projectName: c.projectName)
        #expect(project.services[0].image == c.image)
    }

    @Test("config output writes $ as $$, so it loads back to the same values")
    func configRoundTrip() throws {
        let yaml = """
            services:
              a:
                image: x
                command: ["sh", "-c", "echo $$HOME $${PATH}"]
                environment:
                  HASH: "$$2a$$14$$abc"
                labels:
                  "$$key": "v$$"
            """
        let (first, _) = try Fixture.load(yaml)
        let rendered = try first.plainValue().escapingDollars().yaml()
        #expect(rendered.contains("$$HOME"))
        let (second, _) = try Fixture.load(rendered, projectName: first.name)
        let a1 = try #require(first.service(named: "a")), a2 = try #require(second.service(named: "a"))
        #expect(a2.command == ["sh", "-c", "echo $HOME ${PATH}"])
        #expect(a2.command == a1.command)
        #expect(a2.environment == a1.environment)
        #expect(a2.configHash == a1.configHash)
    }

    @Test("escapingDollars doubles $ in string values only, never in keys")
    func escaping() {
        let value = ComposeValue.object([.init("$k", .array([.string("a$b"), .int(1), .string("$$")]))])
        #expect(value.escapingDollars() == .object([.init("$k", .array([.string("a$$b"), .int(1), .string("$$$$")]))]))
    }

    @Test("restart: \"\" (an unset variable) is no restart policy, as compose and the engine read it")
    func emptyRestart() throws {
        let (project, _) = try Fixture.load("services:\n  a:\n    image: x\n    restart: ${RESTART}\n")
        #expect(project.services[0].restart == nil)
    }

    @Test("service names may start with - . or _, as the spec's pattern allows", arguments: ["-svc", ".svc", "_svc", "a.b-c_d"])
    func serviceNames(_ name: String) throws {
        let (project, _) = try Fixture.load("services:\n  \"\(name)\":\n    image: x\n")
        #expect(project.serviceNames == [name])
    }

    @Test("a file without services is valid (networks and volumes only)")
    func noServices() throws {
        let (project, _) = try Fixture.load("networks:\n  shared:\n    name: shared\nvolumes:\n  data: {}\n", projectName: "p")
        #expect(project.services.isEmpty)
        #expect(project.networks["shared"]?.name == "shared")
        #expect(project.volumes["data"]?.name == "p_data")
    }

    struct WindowsCase: CustomTestStringConvertible, Sendable {
        var yaml: String
        var source: String
        var target: String
        var readOnly: Bool
        var testDescription: String { yaml }
    }

    static let windowsCases: [WindowsCase] = [
        WindowsCase(yaml: "- C:\\data:/data", source: "C:\\data", target: "/data", readOnly: false),
        WindowsCase(yaml: "- 'D:\\app\\conf:/etc/conf:ro'", source: "D:\\app\\conf", target: "/etc/conf", readOnly: true),
        WindowsCase(yaml: "- c:/srv:/srv", source: "c:/srv", target: "/srv", readOnly: false),
        WindowsCase(yaml: "- type: bind\n        source: E:\\logs\n        target: /logs", source: "E:\\logs", target: "/logs", readOnly: false),
    ]

    @Test("a Windows absolute bind source is kept as written, not made relative", arguments: windowsCases)
    func windowsBind(_ c: WindowsCase) throws {
        let (project, _) = try Fixture.load("services:\n  a:\n    image: x\n    volumes:\n      \(c.yaml)\n")
        let volume = try #require(project.services[0].volumes.first)
        #expect(volume.type == .bind)
        #expect(volume.source == c.source)
        #expect(volume.target == c.target)
        #expect(volume.readOnly == c.readOnly)
    }

    @Test("a Windows bind source merges by its container path across files")
    func windowsBindMerge() throws {
        let (project, _) = try Fixture.load(
            "services:\n  a:\n    image: x\n    volumes: ['C:\\old:/data']\n",
            extra: ["o.yaml": "services:\n  a:\n    volumes: ['C:\\new:/data']\n"],
            files: ["compose.yaml", "o.yaml"])
        #expect(project.services[0].volumes.map(\.source) == ["C:\\new"])
    }

    @Test("unset-variable warnings survive when the file is also invalid")
    func warningsWithErrors() throws {
        let dir = try Fixture.directory(["compose.yaml": "services:\n  a:\n    image: x\n    user: ${USER_ID}\n    restart: sometimes\n"])
        defer { Fixture.cleanup(dir) }
        #expect {
            try ComposeLoader().load(ComposeLoadOptions(files: [dir + "/compose.yaml"], environment: [:], currentDirectory: dir))
        } throws: { error in
            guard let error = error as? ComposeError else { return false }
            return error.diagnostics.map(\.path) == ["services.a.restart"]
                && error.warnings.map(\.path) == ["services.a.user"]
                && error.warnings.first?.message.contains("USER_ID variable is not set") == true
                && error.description.contains("warning: ")
                && error.description.hasPrefix("invalid stack (1 error):")
        }
    }

    @Test("unset-variable warnings survive an interpolation error in the same file")
    func warningsWithInterpolationErrors() throws {
        let folder = try Fixture.directory(["compose.yaml": "services:\n  a:\n    image: x\n    hostname: ${HOST}\n    user: ${U:?set U}\n"])
        defer { Fixture.cleanup(folder) }
        do {
            _ = try ComposeLoader().load(ComposeLoadOptions(files: [folder + "/compose.yaml"], environment: [:], currentDirectory: folder))
            Issue.record("expected the stack to be rejected")
        } catch {
            #expect(error.diagnostics.map(\.path) == ["services.a.user"])
            #expect(error.warnings.map(\.path) == ["services.a.hostname"])
        }
    }

    @Test("a legacy version 1 file gets one error saying so")
    func legacyFile() throws {
        let (diagnostics, _) = try Fixture.diagnostics("web:\n  image: nginx\n  links: [db]\ndb:\n  image: postgres\n  net: host\n")
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.line == 1)
        #expect(diagnostics.first?.message.contains("legacy (version 1) compose file") == true)
        #expect(diagnostics.first?.message.contains("web, db") == true)
    }
}
