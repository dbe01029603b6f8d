import Foundation
import Testing
@testable import DockerEngine

@Suite("DockerEngine.TarWriter")
struct TarWriterTests {
    /// Lists an archive with GNU tar, the independent reader.
    func list(_ archive: Data) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-tar-\(UUID().uuidString).tar")
        try archive.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/tar")
        process.arguments = ["-tvf", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "tar: \(String(decoding: output, as: UTF8.self))")
        return String(decoding: output, as: UTF8.self)
    }

    @Test("GNU tar reads files, directories, symlinks, modes and long names back")
    func roundTrip() throws {
        var writer = DockerEngine.TarWriter()
        try writer.addFile("Dockerfile", text: "FROM scratch\nCOPY busybox /bin/busybox\n")
        try writer.addDirectory("bin")
        try writer.addFile("bin/tool", contents: Data(repeating: 7, count: 1000), mode: 0o755)
        try writer.addSymlink("bin/sh", target: "busybox")
        let longName = String(repeating: "d", count: 90) + "/" + String(repeating: "e", count: 60) + "/file.txt"
        try writer.addFile(longName, text: "deep")
        let archive = writer.finish()
        #expect(archive.count % 512 == 0)
        let listing = try list(archive)
        #expect(listing.contains("Dockerfile"))
        #expect(listing.contains("-rwxr-xr-x root/root      1000") && listing.contains("bin/tool"))
        #expect(listing.contains("bin/sh -> busybox"))
        #expect(listing.contains(longName))
    }

    @Test("absolute paths, '..' and over-long names are refused", arguments: ["/etc/passwd", "../outside", "a/../../b", String(repeating: "n", count: 101), String(repeating: "a/", count: 130)])
    func refused(_ name: String) {
        var writer = DockerEngine.TarWriter()
        #expect(throws: DockerEngine.TarWriter.Error.self) { try writer.addFile(name, text: "x") }
    }

    @Test("the same entries give the same bytes")
    func deterministic() throws {
        func make() throws -> Data {
            var writer = DockerEngine.TarWriter()
            try writer.addFile("a", text: "1")
            return writer.finish()
        }
        #expect(try make() == make())
    }

    @Test("a directory on disk is archived recursively with its modes")
    func directoryOnDisk() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-tarctx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("FROM scratch\n".utf8).write(to: directory.appendingPathComponent("Dockerfile"))
        try Data("#!/bin/sh\n".utf8).write(to: directory.appendingPathComponent("sub/run.sh"))
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: directory.appendingPathComponent("sub/run.sh").path)
        var writer = DockerEngine.TarWriter()
        try writer.addContents(ofDirectory: directory)
        let listing = try list(writer.finish())
        #expect(listing.contains("Dockerfile"))
        #expect(listing.contains("-rwxr-x--- root/root") && listing.contains("sub/run.sh"))
    }
}
