"""Appointment booking at a centre: services, windows, working hours and the booked time units."""
