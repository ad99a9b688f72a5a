namespace EdgeGuard.Mqtt.Commands;

// Lockdowns carried out during an SD card stall without the replay store's record are kept from
// running twice by this process's memory only. They are handed to the store after any command it
// answers; this loop also tries every HandOverInterval while memory holds any, so a stall followed
// by silence does not leave them to be forgotten at the next power cut.
public sealed partial class CommandSubscriber
{
    private async Task HandOverLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HandOverInterval, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (_handler.Unrecorded > 0)
            {
                // One bounded store wait at most; not under the handler's lock, so a command
                // arriving meanwhile waits for the store no longer than it would anyway.
                _handler.HandOverUnrecorded();
            }
        }
    }
}
