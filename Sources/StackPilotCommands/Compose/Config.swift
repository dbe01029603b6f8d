import ArgumentParser
import Compose
import Foundation
import Logging

extension StackPilot {
    /// `stackpilot config`: the normalised stack model, the services, or their config hashes. An invalid
    /// stack prints every error (file:line:column, key path, what was expected) and exits 2; no engine call.
    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config",
            abstract: "Print the normalised stack model (yaml|json), service names or config hashes; validate only with -q.",
            discussion: """
            Without -f, prints the whole deployment of the manifest (stacks/stackpilot.yml, --manifest or \
            STACKPILOT_MANIFEST). Secrets are shown as ******** wherever they appear unless --show-secrets \
            is given: values from env files, secret sources and *_FILE files, values of names that look \
            secret (PASS, PWD, SECRET, TOKEN, KEY, AUTH, ...) and URL passwords. Hashes are keyed per host.
            """
        )

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case yaml, json
        }

        @Option(name: [.customShort("f"), .customLong("file")],
                help: "Compose file; repeat to merge (later files override earlier ones).")
        var files: [String] = []

        @Option(name: [.customShort("p"), .customLong("project-name")], help: "Project name (default: COMPOSE_PROJECT_NAME, name:, directory).")
        var projectName: String?

        @Option(name: .customLong("project-directory"), help: "Project directory (default: the first file's directory).")
        var projectDirectory: String?

        @Option(name: .customLong("env-file"), help: "Env file for interpolation instead of <project directory>/.env (repeatable).")
        var envFiles: [String] = []

        @Option(name: .customLong("profile"), help: "Enable a profile (repeatable; also COMPOSE_PROFILES).")
        var profiles: [String] = []

        @Option(name: .customLong("manifest"), help: "Manifest to use without -f (default: STACKPILOT_MANIFEST or stacks/stackpilot.yml).")
        var manifest: String?

        @Option(name: .customLong("format"), help: "Output format: yaml or json.")
        var format: Format = .yaml

        @Flag(name: .customLong("services"), help: "Print the service names only, in start order.")
        var servicesOnly = false

        @Option(name: .customLong("hash"), help: "Print \"service hash\" for SERVICE, a comma-separated list, or * for all.")
        var hash: String?

        @Flag(name: .customLong("show-secrets"), help: "Show secret values instead of ********.")
        var showSecrets = false

        @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Validate only; print nothing but errors.")
        var quiet = false

        func run() async throws {
            if let text = try output() { print(text, terminator: text.hasSuffix("\n") ? "" : "\n") }
        }

        /// What `run` prints (nil with -q); errors and warnings go to stderr. Bad input throws ExitCode(2).
        func output() throws -> String? {
            var logger = Logger(label: "stackpilot.config")
            logger.logLevel = .critical  // warnings are printed below, once
            let loader = ComposeLoader(logger: logger)
            let projects: [ComposeProject]
            var manifestPath: String?
            do {
                if files.isEmpty {
                    let path = Manifest.locate(explicit: manifest)
                    manifestPath = path
                    let m = try Manifest.load(path: path)
                    projects = try m.loadProjects(loader: loader, envFiles: envFiles)
                } else {
                    projects = [try loader.load(ComposeLoadOptions(
                        files: files, projectName: projectName, projectDirectory: projectDirectory, envFiles: envFiles,
                        profiles: profiles))]
                }
            } catch {
                Self.printError(error.description)
                throw ExitCode(2)
            }
            for project in projects {
                for warning in project.warnings { Self.printError("warning: \(warning)") }
            }
            if quiet { return nil }

            if servicesOnly {
                return projects.flatMap(\.startOrder).joined(separator: "\n")
            }
            if let hash {
                let wanted = hash == "*" ? nil : hash.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                for name in wanted ?? [] where !projects.contains(where: { $0.service(named: name) != nil }) {
                    let known = projects.flatMap(\.serviceNames).sorted().joined(separator: ", ")
                    Self.printError(Printable.escaping("no such service: \(name) (services: \(known))"))
                    throw ExitCode(2)
                }
                if case .derived(let reason) = ConfigHashKey.hostSource {
                    Self.printError("warning: no hash key file (\(reason)); hashes use a key derived from the machine id")
                }
                var lines: [String] = []
                for project in projects {
                    for service in project.services where wanted == nil || wanted!.contains(service.name) {
                        lines.append("\(service.name) \(service.configHash)")
                    }
                }
                return lines.joined(separator: "\n")
            }

            // Values are written as a compose file would hold them (`$` as `$$`), so the output loads back.
            let shown = projects.map { (showSecrets ? $0.plainValue() : $0.redactedPlainValue()).escapingDollars() }
            switch format {
            case .json:
                if files.isEmpty {
                    return ComposeValue.object([
                        .init("manifest", .string(manifestPath ?? "")),
                        .init("projects", .array(shown)),
                    ]).prettyJSON()
                }
                return shown[0].prettyJSON()
            case .yaml:
                var documents: [String] = []
                for project in shown {
                    do { documents.append(try project.yaml()) } catch {
                        Self.printError("cannot render YAML: \(error)")
                        throw ExitCode(1)
                    }
                }
                return documents.joined(separator: "---\n")
            }
        }

        static func printError(_ text: String) {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }
}
