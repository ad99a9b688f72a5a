using EdgeGuard.Cli;

return await EdgeGuardCli.Create().Parse(args).InvokeAsync().ConfigureAwait(false);
