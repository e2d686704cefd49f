"""The container_hardening role and the fleet playbook, shipped inside the wheel as `hostaudit.ansible`."""
