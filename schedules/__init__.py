"""The progress plan as data, the calendar, and the planner that turns the plan into deliveries."""
