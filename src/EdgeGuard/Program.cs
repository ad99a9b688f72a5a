using EdgeGuard.Cli;

return await EdgeGuardCli.Create().Parse(args).InvokeAsync(EdgeGuardCli.Invocation()).ConfigureAwait(false);
