import WorkloadSim

await WorkloadSimCommand.start()
