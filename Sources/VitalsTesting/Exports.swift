// Tests reach the process and tmux helpers through VitalsTesting.
@_exported import VitalsHarness
