import Foundation
import GPU

// What the GPU module's NVML collector sees on this host, as JSON on stdout (scripts/gpu-check
// runs it next to the C probe). Exit 0 with GPUs, 1 when NVML is not available, 2 on bad usage.
let arguments = CommandLine.arguments.dropFirst()
if let unknown = arguments.first(where: { $0 != "--procRoot" && !$0.hasPrefix("/") }) {
    FileHandle.standardError.write(Data("gpu-check: unknown argument \(unknown); usage: gpu-check [--procRoot /proc]\n".utf8))
    exit(2)
}
let procRoot = arguments.last.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/proc"

struct Output: Encodable {
    var available: Bool
    var reason: String?
    var snapshot: GPU.Snapshot?
    var containers: [GPU.ContainerMemory]
}

let output: Output
switch GPU.Source.system().read() {
case .available(let snapshot):
    let containers = GPU.containerMemory(snapshot) { GPU.readProcCgroup(pid: $0, procRoot: procRoot) }
    output = Output(available: true, reason: nil, snapshot: snapshot, containers: containers)
case .unavailable(let reason):
    output = Output(available: false, reason: reason.description, snapshot: nil, containers: [])
}
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
FileHandle.standardOutput.write((try? encoder.encode(output)) ?? Data("{}".utf8))
print()
exit(output.available ? 0 : 1)
