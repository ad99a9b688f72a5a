namespace EdgeGuard.Controller;

// Stopping: the loop first, then the last save, then the outputs; kept apart from the loop's
// own file (SiteController.cs).
public sealed partial class SiteController
{
    /// <summary>
    /// Stops the loop, saves a safety state whose save had failed (SiteController.Persistence.cs), then
    /// closes the outputs at once: the expander writers finish the writes the last decisions asked for
    /// (a fire's release just before SIGTERM) while every line is still open.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        SaveUnsavedSafetyState();
        CloseOutputs();
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _timer?.Dispose();
        // Outputs before inputs: on an I/O board the inputs include the expander bank, whose chips carry
        // the outputs too; the writers drain onto them first (docs/architecture.md, "Output write order").
        CloseOutputs();
        inputs.Dispose();
        _saver?.Dispose();
        base.Dispose();
    }

    /// <summary>Disposes the output lines once, under the loop's gate so no decision is driving them.</summary>
    private void CloseOutputs()
    {
        lock (_loopGate)
        {
            if (!_outputsClosed)
            {
                _outputsClosed = true;
                _outputLines?.Dispose();
            }
        }
    }
}
