"""Request bodies of the API (pydantic). Answers are plain JSON objects built by the endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from storefront.payments import Card


class Credentials(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class CardBody(BaseModel):
    number: str = Field(min_length=1, max_length=32)
    exp_month: int
    exp_year: int
    cvc: str = Field(min_length=1, max_length=8)

    def to_card(self) -> Card:
        return Card(number=self.number.replace(" ", ""), exp_month=self.exp_month, exp_year=self.exp_year, cvc=self.cvc)


class PurchaseBody(BaseModel):
    bundle_id: str = Field(min_length=1, max_length=64)
    card: CardBody
    amount_cents: int | None = Field(default=None, ge=0)


class PledgeBody(BaseModel):
    card: CardBody


class EmailGateBody(BaseModel):
    email: str = Field(max_length=320)
    consent: bool = False


class EmailConfirmBody(BaseModel):
    email: str = Field(max_length=320)
    code: str = Field(min_length=1, max_length=16)
