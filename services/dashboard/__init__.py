"""Module 8: dashboard KPIs (snapshots refreshed by set-based SQL, read by role and scope), the widgets of
each user and the live events pushed to the dashboard's WebSockets."""
