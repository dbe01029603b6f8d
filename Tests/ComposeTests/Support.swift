import Foundation
import TestSupport
import Testing

@testable import Compose

/// Paths and helpers shared by the Compose test suites.
enum Fixture {
    /// The repository root, from this file's path.
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let stacksDirectory = repoRoot + "/stacks"
    static let acceptanceDirectory: String = TestSupport.Fixtures.acceptanceStacks.path

    /// A fresh temporary directory holding the given files; removed by the caller with `cleanup`.
    static func directory(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-compose-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return dir
    }

    static func cleanup(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

    /// Loads `compose.yaml` (plus extra files) from a temporary directory with a fixed environment.
    static func load(
        _ yaml: String, extra: [String: String] = [:], files: [String] = ["compose.yaml"],
        environment: [String: String] = [:], projectName: String? = nil
    ) throws -> (ComposeProject, String) {
        var all = extra
        all["compose.yaml"] = yaml
        let dir = try directory(all)
        defer { cleanup(dir) }
        let project = try ComposeLoader().load(
            ComposeLoadOptions(
                files: files.map { dir + "/" + $0 }, projectName: projectName, environment: environment, currentDirectory: dir))
        return (project, dir)
    }

    /// Loads and expects failure; returns the diagnostics and the directory the files were in.
    static func diagnostics(
        _ yaml: String, extra: [String: String] = [:], files: [String] = ["compose.yaml"],
        environment: [String: String] = [:]
    ) throws -> ([ComposeDiagnostic], String) {
        var all = extra
        all["compose.yaml"] = yaml
        let dir = try directory(all)
        defer { cleanup(dir) }
        do {
            _ = try ComposeLoader().load(
                ComposeLoadOptions(
                    files: files.map { dir + "/" + $0 }, environment: environment,
                    currentDirectory: dir))
        } catch {
            return (error.diagnostics, dir)
        }
        Issue.record("expected the stack to be rejected")
        return ([], dir)
    }

    /// Every compose file under a directory (by name: compose*.y(a)ml, docker-compose*.y(a)ml, docker-stack.yml).
    static func composeFiles(under root: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [String] = []
        for case let relative as String in walker {
            let name = (relative as NSString).lastPathComponent
            let isCompose =
                (name.hasPrefix("compose") || name.hasPrefix("docker-compose") || name.hasPrefix("docker-stack"))
                && (name.hasSuffix(".yml") || name.hasSuffix(".yaml"))
            if isCompose { out.append(root + "/" + relative) }
        }
        return out.sorted()
    }
}
