"""A 20-line Mesa model for notebook 5: residents file complaints, one office settles what it can.

It lives in a module (not in the notebook) so that sweep workers in other processes can import it
by name, ``mymodel:ComplaintOffice``.
"""

from mesa import Agent, DataCollector, Model


class Resident(Agent):
    """A resident who files a complaint with probability ``model.complaint_rate`` each day."""

    def step(self) -> None:
        """Maybe file a complaint today."""
        if self.random.random() < self.model.complaint_rate:
            self.model.backlog += 1


class ComplaintOffice(Model):
    """``n`` residents and one office that settles up to ``capacity`` complaints a day.

    Complaints waiting more than a day escalate with probability ``escalation``.
    """

    def __init__(self, n: int = 200, complaint_rate: float = 0.01, capacity: int = 2,
                 escalation: float = 0.1, rng=None) -> None:
        super().__init__(rng=rng)
        self.complaint_rate, self.capacity, self.escalation = complaint_rate, capacity, escalation
        self.backlog, self.escalated = 0, 0
        Resident.create_agents(self, n)
        self.datacollector = DataCollector(model_reporters={"backlog": "backlog", "escalated": "escalated"})

    def step(self) -> None:
        """One day: residents file, the office settles, some of the rest escalate."""
        self.agents_by_type[Resident].shuffle_do("step")
        self.backlog -= min(self.backlog, self.capacity)
        moved = int(self.rng.binomial(self.backlog, self.escalation))
        self.backlog, self.escalated = self.backlog - moved, self.escalated + moved
        self.datacollector.collect(self)
