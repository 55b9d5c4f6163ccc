"""From a config to timing jobs: checks (config), the job plan and paths (plan), and
what every workflow script does first (script)."""
